// What a program sees of each resource class's outputs, read with the TypeScript compiler as an
// editor reads it: every output property has TSDoc, the TSDoc is the spec's (one place describes
// a property), and the output types say what can be absent.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { routeOf } from "../../../provider/lifecycle/fields";
import { specs } from "../../../provider/resources/registry";
import { REPO_ROOT, workFolder } from "../../pulumi/cli";

interface OutputInfo {
    doc: string;
    /** The file the property is declared in (its TSDoc's source), relative to the repository. */
    declaredIn: string;
    type: string;
}

/** Each class's own properties (not Pulumi's `id`/`urn`) as the compiler sees them on an instance. */
function classOutputs(classNames: string[]): Record<string, Record<string, OutputInfo>> {
    const dir = workFolder("output-docs");
    try {
        const file = path.join(dir, "probe.ts");
        const provider = path.relative(dir, path.join(REPO_ROOT, "provider")).split(path.sep).join("/");
        fs.writeFileSync(file, `import * as api from "${provider}";\n` + classNames.map((n) => `export declare const ${n}: api.${n};\n`).join(""));
        const program = ts.createProgram([file], {
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
            target: ts.ScriptTarget.ES2022,
            module: ts.ModuleKind.CommonJS,
            types: ["node"],
        });
        const checker = program.getTypeChecker();
        const source = program.getSourceFile(file)!;
        const out: Record<string, Record<string, OutputInfo>> = {};
        ts.forEachChild(source, (node) => {
            if (!ts.isVariableStatement(node)) return;
            const decl = node.declarationList.declarations[0];
            const name = decl.name.getText(source);
            const type = checker.getTypeAtLocation(decl);
            out[name] = {};
            for (const prop of checker.getPropertiesOfType(type)) {
                if (prop.name === "id" || prop.name === "urn" || prop.name.startsWith("__")) continue;
                const declaration = prop.declarations?.[0];
                out[name][prop.name] = {
                    doc: ts.displayPartsToString(prop.getDocumentationComment(checker)),
                    declaredIn: declaration ? path.relative(REPO_ROOT, declaration.getSourceFile().fileName).split(path.sep).join("/") : "",
                    // Pulumi's Output<T> is OutputInstance<T> & Lifted<T>; the compiler prints only the first when Lifted<T> is empty.
                    type: checker.typeToString(checker.getTypeOfSymbolAtLocation(prop, decl)).replace(/^OutputInstance</, "Output<"),
                };
            }
        });
        return out;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("resource classes: outputs as a program sees them", function () {
    this.timeout(120_000);
    const classNames = Object.keys(specs).sort();
    let outputs: Record<string, Record<string, OutputInfo>>;
    before(() => {
        outputs = classOutputs(classNames);
    });

    it("every class has an output for each of its spec's fields, and no other", () => {
        assert.ok(classNames.length >= 5, `${classNames.length} classes`);
        for (const name of classNames) {
            const own = Object.keys(outputs[name]).filter((p) => outputs[name][p].type.startsWith("Output<"));
            assert.deepStrictEqual(own.sort(), Object.keys(specs[name].fields).sort(), name);
        }
    });

    it("every output property has TSDoc, and it is the one written on the field in the class's spec", () => {
        for (const name of classNames) {
            for (const field of Object.keys(specs[name].fields)) {
                const info = outputs[name][field];
                assert.ok(info.doc.trim().length > 10, `${name}.${field} has no TSDoc`);
                assert.match(
                    info.declaredIn,
                    /^provider\/resources\/[A-Za-z]+\/spec\.ts$/,
                    `${name}.${field}'s TSDoc comes from ${info.declaredIn}, not a spec`,
                );
            }
        }
    });

    it("output types say what can be absent: the id always there, settings with their default, Graph's properties maybe null or undefined", () => {
        const device = outputs.WindowsAutopilotDeviceIdentity;
        assert.strictEqual(device.deviceId.type, "Output<string>");
        assert.strictEqual(device.groupTag.type, "Output<string | null | undefined>");
        assert.strictEqual(device.deleteBehavior.type, 'Output<"release" | "deregister">');
        const imported = outputs.ImportedWindowsAutopilotDeviceIdentity;
        assert.strictEqual(imported.importStatus.type, "Output<string>", "the provider always writes an import's status");
        assert.strictEqual(imported.autopilotDeviceId.type, "Output<string | null | undefined>", "null until the import completes");
        assert.strictEqual(imported.importTimeoutSeconds.type, "Output<number>");
        assert.strictEqual(outputs.ImportedWindowsAutopilotDeviceIdentityUpload.uploadId.type, "Output<string>");
    });

    it("a device field only PATCH writes says that the live service refuses that PATCH", () => {
        const device = specs.WindowsAutopilotDeviceIdentity;
        // With deviceId given, the serial is a PATCHed property too.
        const patched = Object.keys(device.fields).filter((f) => routeOf(device.fields[f], { deviceId: "x" }) === "patch");
        assert.ok(patched.length >= 10, patched.join(", "));
        for (const field of patched) {
            assert.match(
                outputs.WindowsAutopilotDeviceIdentity[field].doc,
                /live service refuses PATCH on device identities \(400 "No method match route template"\)/,
                field,
            );
        }
        for (const field of ["groupTag", "displayName", "userPrincipalName", "addressableUserName"]) {
            assert.doesNotMatch(
                outputs.WindowsAutopilotDeviceIdentity[field].doc,
                /refuses/,
                `${field} goes through updateDeviceProperties, which the live service takes`,
            );
        }
    });

    it("the public API compiles as a Pulumi user writes it, and the compiler rejects what it does not allow", () => {
        const dir = workFolder("public-api");
        try {
            const file = path.join(dir, "use.ts");
            const provider = path.relative(dir, path.join(REPO_ROOT, "provider")).split(path.sep).join("/");
            fs.writeFileSync(
                file,
                `import * as pulumi from "@pulumi/pulumi";
import { AutopilotDeviceSummary, AutopilotResourceOptions, getAutopilotDevicesOutput, WindowsAutopilotDeviceIdentity } from "${provider}";
const opts: AutopilotResourceOptions = { outputs: ["groupTag"], replaceOnChanges: ["serialNumber"], protect: true };
const device = new WindowsAutopilotDeviceIdentity("d", { deviceId: "x", deleteBehavior: "deregister" }, opts);
const id: pulumi.Output<string> = device.deviceId;
// @ts-expect-error Graph may hold no group tag, and a state may lack it
const tag: pulumi.Output<string> = device.groupTag;
const tagOrNone: pulumi.Output<string> = device.groupTag.apply((t) => t ?? "none");
// @ts-expect-error a delete behaviour the spec does not have
new WindowsAutopilotDeviceIdentity("e", { deviceId: "x", deleteBehavior: "purge" });
const found: pulumi.Output<AutopilotDeviceSummary[]> = getAutopilotDevicesOutput({ groupTag: device.groupTag.apply((t) => t ?? ""), serialNumberPrefix: "5CG" }, { dependsOn: [device] });
const all = getAutopilotDevicesOutput();
// @ts-expect-error a serial is a string
getAutopilotDevicesOutput({ serialNumber: 5 });
void [id, tag, tagOrNone, found, all];
`,
            );
            const program = ts.createProgram([file], {
                noEmit: true,
                strict: true,
                esModuleInterop: true,
                skipLibCheck: true,
                target: ts.ScriptTarget.ES2022,
                module: ts.ModuleKind.CommonJS,
                types: ["node"],
            });
            const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            assert.deepStrictEqual(problems, []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
