// The hardware hash stays out of the state: check hands the engine its digest, and the create or
// update that must send it gets the hash this process held since the check.
import * as assert from "assert";
import * as crypto from "crypto";
import type { GraphClient } from "../../../provider/graph";
import { DEFAULT_LIMITS } from "../../../provider/lifecycle/bounds";
import type { FieldSpec } from "../../../provider/lifecycle/fields";
import { makeHandler } from "../../../provider/lifecycle/handler";
import { HeldValues } from "../../../provider/lifecycle/heldValues";
import type { LifecycleContext, ResourceSpec } from "../../../provider/lifecycle/spec";
import { GraphSession } from "../../../provider/session";
import type { Props } from "../../../provider/lifecycle/values";
import { UNKNOWN } from "../../../provider/lifecycle/values";
import { importedIdentitySpec } from "../../../provider/resources/importedIdentity/spec";

const hash = crypto.randomBytes(3000).toString("base64");
const digest = `sha256:${crypto.createHash("sha256").update(hash).digest("base64")}`;

/** A spec like an import's: a serial, a hash kept as a digest, and a label PATCHed in place. */
function recordingSpec(): { spec: ResourceSpec; posted: Props[]; patched: Props[] } {
    const posted: Props[] = [];
    const patched: Props[] = [];
    const hashField: FieldSpec = { ...importedIdentitySpec.fields.hardwareIdentifier, write: "patch" };
    const spec: ResourceSpec = {
        typeName: "Thing",
        graphType: "microsoft.graph.thing",
        apiVersion: "v1.0",
        idOutput: "thingId",
        permission: "Things.ReadWrite.All",
        fields: {
            thingId: { kind: { type: "guid" }, write: "key" },
            serialNumber: { kind: { type: "serial" }, write: "create" },
            hardwareIdentifier: hashField,
            label: { kind: { type: "string" }, write: "patch" },
        },
        item: (id) => ({ path: `/things/${id}`, route: "GET /things/{id}" }),
        patchTarget: (id) => ({ method: "PATCH", path: `/things/${id}`, route: "PATCH /things/{id}" }),
        async create(_ctx, inputs) {
            posted.push(inputs);
            return { id: "t1", graph: { id: "t1", ...inputs }, written: Object.keys(inputs) };
        },
        async delete() {},
    };
    return { spec, posted, patched };
}

function context(patched: Props[]): () => LifecycleContext {
    const graph = {
        async send(r: { method: string; body?: Props }) {
            if (r.method === "PATCH") patched.push(r.body ?? {});
            return {
                status: 200,
                headers: {},
                body: { id: "t1", serialNumber: "S1", hardwareIdentifier: patched.at(-1)?.hardwareIdentifier ?? hash, label: patched.at(-1)?.label ?? "a" },
                attempts: 1,
            };
        },
    } as unknown as GraphClient;
    const ctx: LifecycleContext = { ...new GraphSession({ graph }).context(), sleep: async () => undefined, limits: DEFAULT_LIMITS };
    return () => ctx;
}

describe("held values: the state keeps the hardware hash's digest, the process the hash until it is sent", () => {
    it("check returns the digest in the hash's place; create sends the hash and keeps the digest in its outputs", async () => {
        const { spec, posted, patched } = recordingSpec();
        const h = makeHandler(spec, context(patched));
        const checked = await h.check({}, { __provider: "p", serialNumber: "S1", hardwareIdentifier: hash });
        assert.deepStrictEqual(checked.failures, []);
        assert.deepStrictEqual(checked.inputs, { __provider: "p", serialNumber: "S1", hardwareIdentifier: digest });
        const created = await h.create(checked.inputs);
        assert.strictEqual(posted[0].hardwareIdentifier, hash, "Graph got the hash itself");
        assert.strictEqual(created.outs.hardwareIdentifier, digest);
        assert.ok(!JSON.stringify([checked, created]).includes(hash.slice(0, 64)), "neither inputs nor outputs hold the hash");
    });

    it("a create whose hash this process never saw fails before any request, naming the field and what to do", async () => {
        const { spec, posted, patched } = recordingSpec();
        const h = makeHandler(spec, context(patched));
        await assert.rejects(h.create({ serialNumber: "S1", hardwareIdentifier: digest }), (e: Error & { code?: string }) => {
            assert.strictEqual(e.code, "AUTOPILOT_VALUE_NOT_HELD");
            assert.match(e.message, /hardwareIdentifier/);
            assert.match(e.message, /pulumi up/);
            return true;
        });
        assert.deepStrictEqual(posted, []);
    });

    it("a second create of the same hash (another resource) still finds it; the process lets go once both are done", async () => {
        const held = new HeldValues();
        const spec = importedIdentitySpec;
        const a = held.digestInputs(spec, { serialNumber: "S1", hardwareIdentifier: hash });
        held.digestInputs(spec, { serialNumber: "S2", hardwareIdentifier: hash });
        assert.strictEqual(held.size, 1);
        assert.strictEqual(held.resolve(spec, a).inputs.hardwareIdentifier, hash);
        held.release(spec, a);
        assert.strictEqual(held.resolve(spec, a).inputs.hardwareIdentifier, hash);
        held.release(spec, a);
        assert.strictEqual(held.size, 0);
        assert.deepStrictEqual(held.resolve(spec, a).missing, ["hardwareIdentifier"]);
    });

    it("an unknown hash (preview) and a bad one are left for check to judge, not digested", async () => {
        const { spec, patched } = recordingSpec();
        const h = makeHandler(spec, context(patched));
        const unknown = await h.check({}, { serialNumber: "S1", hardwareIdentifier: UNKNOWN });
        assert.strictEqual(unknown.inputs.hardwareIdentifier, UNKNOWN);
        const bad = await h.check({}, { serialNumber: "S1", hardwareIdentifier: "not base64!" });
        // A secret field's failure names the field in its reason, not as the property (the engine
        // would print the value beside the property).
        assert.strictEqual(bad.failures.length, 1);
        assert.match(bad.failures[0].reason, /hardwareIdentifier/);
    });

    it("diff: the digest against a state that holds the digest, or the hash (older states), is no change; another hash is", async () => {
        const { spec, patched } = recordingSpec();
        const h = makeHandler(spec, context(patched));
        const news = (await h.check({}, { serialNumber: "S1", hardwareIdentifier: hash })).inputs;
        assert.strictEqual((await h.diff("t1", { serialNumber: "S1", hardwareIdentifier: digest }, news)).changes, false);
        assert.strictEqual((await h.diff("t1", { serialNumber: "S1", hardwareIdentifier: hash }, news)).changes, false);
        const other = (await h.check({}, { serialNumber: "S1", hardwareIdentifier: crypto.randomBytes(3000).toString("base64") })).inputs;
        assert.strictEqual((await h.diff("t1", { serialNumber: "S1", hardwareIdentifier: digest }, other)).changes, true);
    });

    it("update: sends a changed hash it holds; with only the digest it refuses; an unchanged digest needs no value", async () => {
        const { spec, patched } = recordingSpec();
        const h = makeHandler(spec, context(patched));
        const olds = { thingId: "t1", serialNumber: "S1", hardwareIdentifier: digest, label: "a" };
        const other = crypto.randomBytes(3000).toString("base64");
        const news = (await h.check(olds, { serialNumber: "S1", hardwareIdentifier: other, label: "a" })).inputs;
        const updated = await h.update("t1", olds, news);
        assert.strictEqual(patched[0].hardwareIdentifier, other);
        assert.match(String(updated.outs.hardwareIdentifier), /^sha256:/);

        const fresh = makeHandler(spec, context(patched));
        await assert.rejects(fresh.update("t1", olds, news), /AUTOPILOT_VALUE_NOT_HELD|as a digest/);
        const relabel = await fresh.update("t1", olds, { serialNumber: "S1", hardwareIdentifier: digest, label: "b" });
        assert.strictEqual(patched.at(-1)?.label, "b");
        assert.strictEqual(patched.at(-1)?.hardwareIdentifier, undefined);
        assert.strictEqual(relabel.outs.hardwareIdentifier, digest);
    });
});
