// The deployment profile's spec: the device name template rule, reading deprecated twins, and the
// class, Args and outputs that follow from the spec (checked by the compiler).
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { graphValue } from "../../../provider/lifecycle/diff";
import { deviceNameTemplateProblem, profileFields, profileSpec } from "../../../provider/resources/profile/spec";
import { specs } from "../../../provider/resources/registry";
import { REPO_ROOT, workFolder } from "../../pulumi/cli";

describe("WindowsAutopilotDeploymentProfile spec", () => {
    it("takes device name templates Intune takes and says why it refuses the others", () => {
        for (const ok of ["SALES-%RAND:4%", "PC-%SERIAL%", "KIOSK01", "A%RAND:14%", "%SERIAL%"])
            assert.strictEqual(deviceNameTemplateProblem(ok), undefined, ok);
        const cases: Array<[string, RegExp]> = [
            ["CONTOSO-%RAND:10%", /expands to at least 18 characters; a device name is at most 15/],
            ["PC %SERIAL%", /holds " ": a device name has letters A-Z, digits and hyphens only/],
            ["PC-%serial%", /the only macros are %SERIAL% and %RAND:n%/],
            ["PC-%RAND:0%", /adds no digits/],
            ["12345", /digits only/],
            ["", /is empty/],
        ];
        for (const [template, reason] of cases) assert.match(deviceNameTemplateProblem(template) ?? "", reason, template);
    });

    it("reads the current property and falls back to its deprecated twin; joinType from @odata.type", () => {
        const legacy = {
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            locale: null,
            language: "de-DE",
            hardwareHashExtractionEnabled: null,
            extractHardwareHash: true,
            outOfBoxExperienceSettings: {
                "@odata.type": "microsoft.graph.outOfBoxExperienceSettings",
                hideEULA: true,
                deviceUsageType: "shared",
                userType: null,
            },
        };
        const read = (name: keyof typeof profileFields) => graphValue(name, profileFields[name], legacy);
        assert.strictEqual(read("locale"), "de-DE");
        assert.strictEqual(read("hardwareHashExtractionEnabled"), true);
        assert.deepStrictEqual(read("outOfBoxExperienceSetting"), { eulaHidden: true, deviceUsageType: "shared" });
        assert.strictEqual(read("joinType"), "hybridJoined");
        const current = { ...legacy, locale: "en-US", language: "de-DE" };
        assert.strictEqual(graphValue("locale", profileFields.locale, current), "en-US", "the current property wins over a stale twin");
    });

    it("is registered from its exported class", () => {
        assert.strictEqual(specs.WindowsAutopilotDeploymentProfile, profileSpec);
    });

    it("its class, Args and outputs follow from the spec: the compiler rejects what the spec does not allow", function () {
        this.timeout(120_000);
        const dir = workFolder("profile-types");
        try {
            const file = path.join(dir, "check.ts");
            const provider = path.relative(dir, path.join(REPO_ROOT, "provider")).split(path.sep).join("/");
            fs.writeFileSync(
                file,
                `import * as pulumi from "@pulumi/pulumi";
import { WindowsAutopilotDeploymentProfile, WindowsAutopilotDeploymentProfileArgs } from "${provider}";
const good: WindowsAutopilotDeploymentProfileArgs = { joinType: "hybridJoined", displayName: "x", outOfBoxExperienceSetting: { eulaHidden: true }, roleScopeTagIds: ["0"] };
// @ts-expect-error a join type Graph does not have
const badJoin: WindowsAutopilotDeploymentProfileArgs = { joinType: "workgroup" };
// @ts-expect-error a flag is a boolean
const badFlag: WindowsAutopilotDeploymentProfileArgs = { preprovisioningAllowed: "yes" };
// @ts-expect-error an output is not an input
const badOutput: WindowsAutopilotDeploymentProfileArgs = { createdDateTime: "2024-01-01T00:00:00Z" };
declare const p: WindowsAutopilotDeploymentProfile;
const id: pulumi.Output<string> = p.profileId;
const flag: pulumi.Output<boolean | null | undefined> = p.preprovisioningAllowed;
// @ts-expect-error Graph may hold no value: the output may be null or undefined
const strictFlag: pulumi.Output<boolean> = p.preprovisioningAllowed;
// @ts-expect-error no such output
p.language;
void [good, badJoin, badFlag, badOutput, id, flag, strictFlag];
`,
            );
            execFileSync(
                process.execPath,
                [
                    path.join(REPO_ROOT, "node_modules/typescript/bin/tsc"),
                    "--noEmit",
                    "--strict",
                    "--esModuleInterop",
                    "--skipLibCheck",
                    "--target",
                    "es2022",
                    "--module",
                    "commonjs",
                    "--types",
                    "node",
                    file,
                ],
                {
                    cwd: REPO_ROOT,
                    stdio: "pipe",
                },
            );
        } catch (e) {
            assert.fail(String((e as { stdout?: Buffer }).stdout ?? e));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
