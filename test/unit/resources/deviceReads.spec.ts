// The device an import registered is read once for the two steps that need it (recentReads.ts):
// the import step's read until Graph shows it is what the device step adopts, not a second GET.
import { strict as assert } from "node:assert";
import type { GraphClient, GraphRequest } from "../../../provider/graph";
import { DEFAULT_LIMITS } from "../../../provider/lifecycle/bounds";
import type { LifecycleContext } from "../../../provider/lifecycle/spec";
import { GraphSession } from "../../../provider/session";
import { deviceIdentitySpec } from "../../../provider/resources/deviceIdentity/spec";
import { RECENT_READ_MAX_AGE_MS } from "../../../provider/resources/deviceIdentity/recentReads";
import { waitUntilDeviceReadable } from "../../../provider/resources/importedIdentity/adopt";

function fakeGraph() {
    const sent: GraphRequest[] = [];
    let now = 5_000_000;
    const graph = {
        async send(r: GraphRequest) {
            sent.push(r);
            const id = decodeURIComponent(r.path.split("/").pop()!);
            return { status: 200, headers: {}, body: { id, serialNumber: `SER-${id}`, groupTag: "", displayName: null }, attempts: 1 };
        },
    } as unknown as GraphClient;
    const ctx: LifecycleContext = { ...new GraphSession({ graph }).context(), sleep: async () => undefined, now: () => now, limits: DEFAULT_LIMITS };
    return { sent, ctx, advance: (ms: number) => (now += ms) };
}

const completed = (deviceId: string) => ({
    id: "rec",
    serialNumber: `SER-${deviceId}`,
    state: { deviceImportStatus: "complete", deviceRegistrationId: deviceId },
});

describe("one read of a freshly imported device for the import step and the device step", () => {
    it("the device step adopts the device as the import step read it: one GET for both", async () => {
        const f = fakeGraph();
        await waitUntilDeviceReadable(f.ctx, completed("dev-1"));
        const created = await deviceIdentitySpec.create(f.ctx, { deviceId: "dev-1" });
        assert.equal(f.sent.length, 1);
        assert.deepEqual([created.id, created.graph.serialNumber, created.written], ["dev-1", "SER-dev-1", []]);
    });

    it("a read is handed over once: a second adopter of the device GETs it itself", async () => {
        const f = fakeGraph();
        await waitUntilDeviceReadable(f.ctx, completed("dev-2"));
        await deviceIdentitySpec.create(f.ctx, { deviceId: "dev-2" });
        await deviceIdentitySpec.create(f.ctx, { deviceId: "dev-2" });
        assert.equal(f.sent.length, 2);
    });

    it("a read older than the hand-over age is not used: the device step GETs the device", async () => {
        const f = fakeGraph();
        await waitUntilDeviceReadable(f.ctx, completed("dev-3"));
        f.advance(RECENT_READ_MAX_AGE_MS + 1);
        await deviceIdentitySpec.create(f.ctx, { deviceId: "dev-3" });
        assert.equal(f.sent.length, 2);
    });

    it("another device's read is not used", async () => {
        const f = fakeGraph();
        await waitUntilDeviceReadable(f.ctx, completed("dev-4"));
        const created = await deviceIdentitySpec.create(f.ctx, { deviceId: "dev-5" });
        assert.equal(f.sent.length, 2);
        assert.equal(created.graph.id, "dev-5");
    });
});
