// A program's null uploadId means "no upload", the same as an absent one: JavaScript programs pass
// null for "none" (`config.get("uploadId") ?? null`), and Pulumi sends null inputs on to the provider.
import * as assert from "assert";
import { Emulator, startEmulator } from "../../emulator";
import { GraphClient } from "../../../provider/graph";
import { DEFAULT_LIMITS } from "../../../provider/lifecycle/bounds";
import { makeHandler } from "../../../provider/lifecycle/handler";
import { GraphSession } from "../../../provider/session";
import { importedIdentitySpec } from "../../../provider/resources/importedIdentity/spec";
import { uploadSpec } from "../../../provider/resources/upload/spec";

const HASH = Buffer.alloc(300, 7).toString("base64");

describe("uploadId null", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let graph: GraphClient;

    beforeEach(async () => {
        emu = await startEmulator({ profile: "live" });
        graph = new GraphClient({ baseUrl: emu.url, tokenSource: { getToken: async () => "emulator-token" }, maxRetries: 0, batch: true });
    });
    afterEach(async () => {
        await graph.close();
        await emu.close();
    });

    it("an import with uploadId null is the tenant's import: no request names an upload 'null'", async () => {
        const session = new GraphSession({ graph });
        const ctx = { ...session.context(), sleep: async () => undefined, now: () => Date.now(), limits: DEFAULT_LIMITS };
        const created = await importedIdentitySpec.create(ctx, { serialNumber: "NULLUP-1", hardwareIdentifier: HASH, uploadId: null });
        assert.ok(emu.tenant.importedIdentities.has(created.id), "the record is in the tenant's collection");
        const paths = emu.requests.map((r) => `${r.method} ${r.path}`);
        assert.ok(paths.length > 0);
        assert.ok(
            paths.every((p) => !p.includes("/null")),
            paths.join("\n"),
        );
    });

    it("an upload with uploadId null gets the 'uploadId is required' check failure, not a read of upload 'null'", async () => {
        const uploads = makeHandler(uploadSpec, () => {
            throw new Error("check makes no request");
        });
        const checked = await uploads.check({}, { uploadId: null });
        assert.ok(
            checked.failures.some((f) => f.property === "uploadId" && /^uploadId is required/.test(f.reason)),
            JSON.stringify(checked.failures),
        );
    });
});
