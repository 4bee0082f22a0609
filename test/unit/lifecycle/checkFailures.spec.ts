// Check failures on secret fields: Pulumi's engine prints the value of a property a failure names,
// and a secret one in plain text, so the provider names none for them (the integration suites show
// the engine side).
import * as assert from "assert";
import * as crypto from "crypto";
import { makeHandler } from "../../../provider/lifecycle/handler";
import { importedIdentitySpec } from "../../../provider/resources/importedIdentity/spec";
import { assignmentSpec } from "../../../provider/resources/assignment/spec";

const noContext = () => {
    throw new Error("check makes no request");
};

describe("check: a failure of a secret field names no property", () => {
    it("so the engine prints the reason, not the secret value; other failures keep their property", async () => {
        const imports = makeHandler(importedIdentitySpec, noContext);
        const bad = crypto.randomBytes(300).toString("base64").slice(0, -1);
        const checked = await imports.check({}, { serialNumber: "S 1\n", hardwareIdentifier: bad, productKey: "K".repeat(65) });
        assert.ok(checked.failures.some((f) => f.property === "" && /^hardwareIdentifier is not base64/.test(f.reason)));
        assert.ok(checked.failures.some((f) => f.property === "" && /^productKey /.test(f.reason)));
        assert.ok(checked.failures.some((f) => f.property === "serialNumber"));
        assert.ok(
            checked.failures.every((f) => !f.reason.includes(bad.slice(0, 40))),
            "no hash in a reason",
        );
        const assignments = makeHandler(assignmentSpec, noContext);
        const target = await assignments.check({}, { deviceId: "x", target: { kind: "group", groupId: "sales" } });
        assert.ok(target.failures.some((f) => f.property === "target.groupId"));
    });
});
