// Unit tests of the provider's side of replaceOnChanges (replaceOnChanges.ts): Pulumi's engine does
// not apply the option to a dynamic resource, so the provider's diff does (the integration suites
// show the engine side).
import * as assert from "assert";
import * as crypto from "crypto";
import { makeHandler } from "../../../provider/lifecycle/handler";
import { forcedReplacements, REPLACE_ON_CHANGES } from "../../../provider/lifecycle/replaceOnChanges";
import { importedIdentitySpec } from "../../../provider/resources/importedIdentity/spec";

const noContext = () => {
    throw new Error("check and diff make no request");
};

describe("replaceOnChanges: the provider reports the option's changed fields as replacements", () => {
    const handler = makeHandler(importedIdentitySpec, noContext);
    const hash = crypto.randomBytes(300).toString("base64");
    const olds = { serialNumber: "S1", hardwareIdentifier: `sha256:${crypto.createHash("sha256").update(hash).digest("base64")}`, groupTag: "A" };

    it("a change of a named field replaces (deleting first); other changes update; without the option nothing replaces", async () => {
        const option = { [REPLACE_ON_CHANGES]: ["serialNumber", "hardwareIdentifier"] };
        assert.deepStrictEqual(await handler.diff("id", olds, { ...option, serialNumber: "S2", hardwareIdentifier: hash, groupTag: "A" }), {
            changes: true,
            replaces: ["serialNumber"],
            stables: [],
            deleteBeforeReplace: true,
        });
        assert.deepStrictEqual((await handler.diff("id", olds, { ...option, serialNumber: "S1", hardwareIdentifier: hash, groupTag: "B" })).replaces, []);
        assert.deepStrictEqual((await handler.diff("id", olds, { ...option, serialNumber: "S1", hardwareIdentifier: hash, groupTag: "A" })).changes, false);
        assert.deepStrictEqual((await handler.diff("id", olds, { serialNumber: "S2", hardwareIdentifier: hash })).replaces, []);
        assert.deepStrictEqual(
            (await handler.diff("id", olds, { [REPLACE_ON_CHANGES]: ["*"], serialNumber: "S1", hardwareIdentifier: hash, groupTag: "B" })).replaces,
            ["groupTag"],
        );
    });

    it("check keeps the option's paths in the inputs (so diff gets them) and does not count them as an unknown input", async () => {
        const checked = await handler.check({}, { [REPLACE_ON_CHANGES]: ["serialNumber"], serialNumber: "S1", hardwareIdentifier: hash });
        assert.deepStrictEqual(checked.failures, []);
        assert.deepStrictEqual(checked.inputs[REPLACE_ON_CHANGES], ["serialNumber"]);
    });

    it("a nested path replaces only when the value at that path changed", () => {
        const before = { target: { kind: "group", groupId: "g1" } };
        assert.deepStrictEqual(forcedReplacements(["target"], ["target.groupId"], before, { target: { kind: "group", groupId: "g2" } }), ["target"]);
        assert.deepStrictEqual(forcedReplacements(["target"], ["target.groupId"], before, { target: { kind: "exclusionGroup", groupId: "g1" } }), []);
        assert.deepStrictEqual(forcedReplacements(["target"], ["target.*"], before, { target: { kind: "exclusionGroup", groupId: "g1" } }), ["target"]);
        assert.deepStrictEqual(forcedReplacements(["source"], ["target"], before, {}), []);
    });
});
