// Stays at the gRPC level: the real engine cannot reach this case. A provider host lives for one
// `pulumi` command, and within one command the engine reads an object (refresh, `up --refresh`)
// before it writes it, never after. Only a host driven directly writes an object and then reads it
// in a burst that a listing answers. The rest of collectionReads runs through the real CLI
// (test/integration/collectionReads.spec.ts).
import * as assert from "assert";
import { randomUUID } from "crypto";
import { providerText } from "../../provider/lifecycle/dynamicProvider";
import { Emulator, startEmulator } from "../emulator";
import { Host, REPO_ROOT } from "./hostClient";

const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const TYPE = "WindowsAutopilotDeviceIdentity";
const URN = (i: number) => `urn:pulumi:test::autopilot-test::pulumi-nodejs:dynamic/autopilot:${TYPE}::dev-${i}`;
/** Past the coalescer's threshold (100 reads of a collection within 2 s). */
const N = 150;

describe("collection reads in one host process: a device it wrote to is read with its own GET, never from a listing", function () {
    this.timeout(120_000);
    let emu: Emulator;
    let host: Host;
    before(async () => {
        emu = await startEmulator({ profile: "documented" });
        host = await Host.start({ cwd: REPO_ROOT, project: "autopilot-test" });
        await host.configure({ "autopilot:graphEndpoint": emu.url, "autopilot:accessToken": "emulator-token" });
    });
    after(async () => {
        await host?.close();
        await emu?.close();
    });

    it("reads, writes one device, then a burst of reads: one listing for the others, a GET for the written one", async () => {
        const ids = Array.from({ length: N }, (_, i) => {
            const id = randomUUID();
            emu.tenant.devices.set(id, { id, serialNumber: `WR${String(i).padStart(5, "0")}`, groupTag: "Sales", enrollmentState: "notContacted" });
            return id;
        });
        // Each resource's state as `pulumi up` left it: the program's inputs, their names, the provider text.
        const state = (id: string, groupTag: string) => ({ __provider: providerText(TYPE), deviceId: id, groupTag, __inputs: ["deviceId", "groupTag"] });
        // Writes are watched from the process's first read on (collectionReads.ts): one read comes first.
        assert.strictEqual((await host.read(ids[0], URN(0), state(ids[0], "Sales"))).properties.groupTag, "Sales");
        const written = ids[N - 1];
        const updated = await host.update(written, URN(N - 1), state(written, "Sales"), state(written, "Finance"));
        assert.strictEqual(updated.properties.groupTag, "Finance");
        assert.ok(
            emu.requests.some((r) => r.method === "POST" && r.path === `${DEVICES}/${written}/updateDeviceProperties`),
            "the tag was written",
        );

        emu.clearRequests();
        const reads = await Promise.all(ids.map((id, i) => host.read(id, URN(i), state(id, i === N - 1 ? "Finance" : "Sales"))));
        assert.deepStrictEqual(
            reads.map((r) => [r.id, r.properties.groupTag]),
            ids.map((id, i) => [id, i === N - 1 ? "Finance" : "Sales"]),
        );
        const gets = emu.requests.filter((r) => r.method === "GET");
        assert.strictEqual(gets.filter((r) => r.path === DEVICES).length, 1, "the others came from one listing");
        const items = gets.filter((r) => r.path.startsWith(`${DEVICES}/`)).map((r) => r.path);
        assert.ok(items.includes(`${DEVICES}/${written}`), "the written device was read by id");
        assert.ok(items.length <= 100, `${items.length} item GETs for ${N} reads`);
    });
});
