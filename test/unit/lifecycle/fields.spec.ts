// Unit tests of field validation and comparison (fields.ts): the one-pass base64 check must give
// the answers the regex, whitespace strip and decode gave, and only be faster.
import * as assert from "assert";
import * as crypto from "crypto";
import { fieldChanges } from "../../../provider/lifecycle/diff";
import { canonicalBase64Bytes, FieldKind, sameAsStored, sameValue, storedValue, validateValue } from "../../../provider/lifecycle/fields";
import { INPUT_NAMES, inputNames, readInputs, toOutputs } from "../../../provider/lifecycle/outputs";
import { importedIdentitySpec } from "../../../provider/resources/importedIdentity/spec";
import { deviceIdentitySpec } from "../../../provider/resources/deviceIdentity/spec";

const HASH: FieldKind = { type: "base64", minBytes: 256, maxBytes: 32768 };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What the regex path says: the decoded size of canonical base64, else undefined. */
function byRegex(text: string): number | undefined {
    return text.length > 0 && text.length % 4 === 0 && BASE64.test(text) ? Buffer.from(text, "base64").length : undefined;
}

describe("fields: base64 (hardware hashes)", () => {
    it("canonicalBase64Bytes agrees with the regex and Buffer's decode, including padding and bad characters", () => {
        const cases = [
            "",
            "A",
            "AB",
            "ABC",
            "ABCD",
            "AB==",
            "ABC=",
            "A===",
            "====",
            "AB=C",
            "=ABC",
            "ABCD====",
            "AB==ABCD",
            "AB CD",
            "AB\nCD",
            "AB-_",
            "ABCé",
            "ABC\u0100",
        ];
        for (let n = 1; n <= 40; n++) {
            const bytes = crypto.randomBytes(n);
            const text = bytes.toString("base64");
            cases.push(text, text.replace(/=+$/, ""), text.slice(1), `${text.slice(0, 2)}*${text.slice(3)}`);
        }
        for (const text of cases) {
            assert.strictEqual(canonicalBase64Bytes(text), byRegex(text), JSON.stringify(text));
        }
    });

    it("accepts a real-sized hash and keeps every rejection reason", () => {
        const hash = crypto.randomBytes(4000).toString("base64");
        assert.strictEqual(validateValue(HASH, hash, true), undefined);
        // Whitespace (a hash pasted over several lines) is still accepted through the slow path.
        assert.strictEqual(validateValue(HASH, hash.replace(/(.{76})/g, "$1\n"), true), undefined);
        assert.strictEqual(validateValue(HASH, ""), "must not be empty");
        assert.strictEqual(validateValue(HASH, hash.slice(1)), "is not base64: its length is not a multiple of 4 (missing = padding?)");
        assert.strictEqual(validateValue(HASH, `*${hash.slice(1)}`), "is not base64: it holds characters outside A-Z a-z 0-9 + / and = padding");
        assert.strictEqual(validateValue(HASH, crypto.randomBytes(30).toString("base64")), "decodes to 30 bytes; a hardware hash is 256 to 32768 bytes");
        assert.strictEqual(validateValue(HASH, crypto.randomBytes(40_000).toString("base64")), "decodes to 40000 bytes; a hardware hash is 256 to 32768 bytes");
        assert.strictEqual(validateValue(HASH, 42), "must be a base64 string, got number");
    });

    it("compares equal text, text that differs only in whitespace, and different hashes", () => {
        const hash = crypto.randomBytes(300).toString("base64");
        assert.ok(sameValue(HASH, hash, hash));
        assert.ok(sameValue(HASH, hash, `${hash.slice(0, 100)}\r\n${hash.slice(100)}`));
        assert.ok(!sameValue(HASH, hash, crypto.randomBytes(300).toString("base64")));
        assert.ok(!sameValue(HASH, hash, null));
    });

    it("serials, GUIDs and UPNs still compare without regard to case", () => {
        assert.ok(sameValue({ type: "serial" }, "bn0001", "BN0001"));
        assert.ok(sameValue({ type: "guid" }, "A1B2C3D4-0000-0000-0000-000000000000", "a1b2c3d4-0000-0000-0000-000000000000"));
        assert.ok(sameValue({ type: "upn" }, "Ann@Contoso.com", "ann@contoso.com"));
        assert.ok(!sameValue({ type: "serial" }, "BN0001", "BN0002"));
    });
});

describe("fields: stateDigest (the outputs keep a digest of the hardware hash, not the hash)", () => {
    const spec = importedIdentitySpec;
    const hash = crypto.randomBytes(3000).toString("base64");
    const digest = `sha256:${crypto.createHash("sha256").update(hash).digest("base64")}`;

    it("outputs hold sha256:<base64> of the hash, whether it came from Graph or from the inputs; a digest stays as it is", () => {
        const fromGraph = toOutputs(
            spec,
            "id-1",
            { id: "id-1", serialNumber: "S1", hardwareIdentifier: hash, state: { deviceImportStatus: "pending" } },
            { serialNumber: "S1", hardwareIdentifier: hash },
            undefined,
        );
        assert.strictEqual(fromGraph.hardwareIdentifier, digest);
        const fromInputs = toOutputs(
            spec,
            "id-1",
            { id: "id-1", state: { deviceImportStatus: "pending" } },
            { serialNumber: "S1", hardwareIdentifier: hash },
            undefined,
        );
        assert.strictEqual(fromInputs.hardwareIdentifier, digest);
        // A refresh whose read has no hash keeps what the state held.
        const refreshed = toOutputs(spec, "id-1", { id: "id-1", state: { deviceImportStatus: "complete" } }, fromInputs, undefined);
        assert.strictEqual(refreshed.hardwareIdentifier, digest);
        assert.ok(!JSON.stringify([fromGraph, fromInputs, refreshed]).includes(hash.slice(0, 64)));
        // Whitespace in the hash is not part of it.
        assert.strictEqual(storedValue(spec.fields.hardwareIdentifier, `${hash.slice(0, 100)}\n${hash.slice(100)}`), digest);
    });

    it("diff: the same hash against its digest is no change, another hash replaces; a state that holds the hash still compares", () => {
        const olds = { serialNumber: "S1", hardwareIdentifier: digest };
        assert.deepStrictEqual(fieldChanges(spec, olds, { serialNumber: "S1", hardwareIdentifier: hash }), { changed: [], replaces: [] });
        const other = crypto.randomBytes(3000).toString("base64");
        assert.deepStrictEqual(fieldChanges(spec, olds, { serialNumber: "S1", hardwareIdentifier: other }).changed, ["hardwareIdentifier"]);
        const legacy = { serialNumber: "S1", hardwareIdentifier: hash };
        assert.deepStrictEqual(fieldChanges(spec, legacy, { serialNumber: "S1", hardwareIdentifier: hash }), { changed: [], replaces: [] });
        assert.deepStrictEqual(fieldChanges(spec, legacy, { serialNumber: "S1", hardwareIdentifier: other }).changed, ["hardwareIdentifier"]);
        assert.ok(sameAsStored(spec.fields.hardwareIdentifier, hash, digest));
        assert.ok(!sameAsStored(spec.fields.serialNumber, "sha256:x", "sha256:y"), "only stateDigest fields compare digests");
    });
});

describe("outputs: the program's input names, so a refresh reports the program's inputs as Graph holds them", () => {
    const device = deviceIdentitySpec;
    const graph = { id: "d1", serialNumber: "S1", groupTag: "Drifted", displayName: "N1", manufacturer: "HP", model: "X" };

    it("records the names the program gave and reports just those, with Graph's values", () => {
        const outs = toOutputs(
            device,
            "d1",
            graph,
            { deviceId: "d1", groupTag: "Sales" },
            inputNames({ deviceId: "d1", groupTag: "Sales", displayName: undefined }),
        );
        assert.deepStrictEqual(outs[INPUT_NAMES], ["deviceId", "groupTag"]);
        assert.deepStrictEqual(readInputs(device, outs), { deviceId: "d1", groupTag: "Drifted" });
    });

    it("reports nothing (the engine keeps its inputs) for a state without names and for inputs with a secret", () => {
        const legacy = toOutputs(device, "d1", graph, { deviceId: "d1" }, undefined);
        assert.strictEqual(INPUT_NAMES in legacy, false);
        assert.strictEqual(readInputs(device, legacy), undefined);
        const withKey = toOutputs(device, "d1", graph, { deviceId: "d1", productKey: "K" }, ["deviceId", "productKey"]);
        assert.strictEqual(readInputs(device, withKey), undefined);
    });
});

describe("outputs: only fields with a value (the state is rewritten after every step)", () => {
    it("leaves out what Graph holds as null, a secret among them, and keeps everything with a value", () => {
        const graph = {
            id: "d1",
            serialNumber: "S1",
            groupTag: "Sales",
            displayName: null,
            productKey: null,
            manufacturer: null,
            model: "X",
            enrollmentState: "notContacted",
        };
        const outs = toOutputs(deviceIdentitySpec, "d1", graph, { deviceId: "d1", groupTag: "Sales" }, ["deviceId", "groupTag"]);
        assert.ok(!Object.values(outs).includes(null), JSON.stringify(outs));
        for (const gone of ["displayName", "productKey", "manufacturer", "userPrincipalName"]) assert.ok(!(gone in outs), gone);
        assert.strictEqual(outs.groupTag, "Sales");
        assert.strictEqual(outs.model, "X");
        assert.strictEqual(outs.deviceId, "d1");
        // A setting keeps its default; a field the program gives is still compared by diff when absent.
        assert.strictEqual(outs.deleteBehavior, "release");
        assert.deepStrictEqual(fieldChanges(deviceIdentitySpec, outs, { deviceId: "d1", displayName: "N1" }).changed, ["displayName"]);
        assert.deepStrictEqual(fieldChanges(deviceIdentitySpec, outs, { deviceId: "d1", displayName: "" }).changed, []);
    });
});
