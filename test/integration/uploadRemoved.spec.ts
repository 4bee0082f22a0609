import * as assert from "assert";
import { ImportedWindowsAutopilotDeviceIdentityUpload } from "../../provider";
import { autopilotResources, CliHarness, failing, requestLines, startCliHarness } from "./harness";

const UPLOAD_ID = "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe";
const UPLOADS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads";
// Graph's message quotes the segment; the client's secret redaction masks a quoted 45-letter word
// like a base64 literal, so the message names the collection itself.
const SAYS_REMOVED =
    /this Graph service has no importedWindowsAutopilotDeviceIdentityUploads \(AUTOPILOT_UPLOADS_NOT_IN_GRAPH\).*400 BadRequest "Resource not found for the segment/s;

// Graph's current metadata (beta and v1.0) has no upload collection: a real tenant answers a path
// through it with 400 "Resource not found for the segment". The emulator answers so with uploadsRemoved.
describe("ImportedWindowsAutopilotDeviceIdentityUpload on a service without uploads, through the real Pulumi CLI", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live", uploadsRemoved: true });
    });
    after(async () => h?.close());
    beforeEach(() => {
        h.emu.setUploadsRemoved(true);
        h.emu.clearRequests();
    });

    it("pulumi up says the service has no uploads, with a stable code, not that the id is unknown", async () => {
        const stack = await h.stack(() => {
            new ImportedWindowsAutopilotDeviceIdentityUpload("upload", { uploadId: UPLOAD_ID });
        });
        const err = await failing(stack.up());
        assert.match(err.message, SAYS_REMOVED);
        assert.match(err.message, /import hardware hashes with ImportedWindowsAutopilotDeviceIdentity without uploadId/);
        assert.doesNotMatch(err.message, /no upload with id/);
        assert.deepStrictEqual(requestLines(h.emu), [`GET ${UPLOADS}/${UPLOAD_ID}`], "one read, not retried");
        assert.deepStrictEqual(await autopilotResources(stack), []);
    });

    it("a stack made while the service had uploads: refresh says so too, and removing the resource as advised succeeds without a request", async () => {
        let declared = true;
        const stack = await h.stack(() => {
            if (declared) new ImportedWindowsAutopilotDeviceIdentityUpload("upload", { uploadId: UPLOAD_ID });
        });
        h.emu.setUploadsRemoved(false);
        await stack.up();
        assert.strictEqual((await autopilotResources(stack)).length, 1);

        h.emu.setUploadsRemoved(true);
        assert.match((await failing(stack.refresh())).message, SAYS_REMOVED);

        declared = false;
        h.emu.clearRequests();
        await stack.up();
        assert.deepStrictEqual(h.emu.requests, [], "deleting an upload releases it: no request");
        assert.deepStrictEqual(await autopilotResources(stack), []);
    });
});
