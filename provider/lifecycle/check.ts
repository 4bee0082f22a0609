import { CheckFailure, FieldSpec, validateValue } from "./fields";
import { REPLACE_ON_CHANGES } from "./replaceOnChanges";
import type { ResourceSpec } from "./spec";
import { isUnknown, Props } from "./values";

function checkField(path: string, field: FieldSpec, value: unknown, failures: CheckFailure[]): void {
    if (value === undefined || (isUnknown(value) && field.kind.type !== "object")) return; // unknown during preview: judged once it is known
    const reason = validateValue(field.kind, value, field.secret);
    if (reason) {
        failures.push({ property: path, reason: `${path} ${reason}` });
        return;
    }
    if (field.kind.type === "object" && value !== null) {
        const members = value as Props;
        for (const name of Object.keys(members)) {
            if (!(name in field.kind.fields)) {
                failures.push({
                    property: `${path}.${name}`,
                    reason: `${path}.${name} is not a member of ${path}; allowed: ${Object.keys(field.kind.fields).join(", ")}`,
                });
            }
        }
        for (const [name, member] of Object.entries(field.kind.fields)) {
            checkField(`${path}.${name}`, member, members[name], failures);
        }
    }
}

/**
 * Validates the program's inputs without any request: every field against its kind, unknown
 * property names, then the spec's cross-field rules. Settings get their defaults.
 */
export function checkInputs(spec: ResourceSpec, news: Props): { inputs: Props; failures: CheckFailure[] } {
    const failures: CheckFailure[] = [];
    const inputs: Props = { ...news };
    for (const name of Object.keys(news)) {
        if (name === "__provider" || name === REPLACE_ON_CHANGES || name in spec.fields) continue;
        const writable = Object.keys(spec.fields).filter((n) => spec.fields[n].write !== "computed");
        failures.push({
            property: name,
            reason: `${name} is not an input of ${spec.typeName}; inputs are: ${writable.join(", ")}`,
        });
    }
    for (const [name, field] of Object.entries(spec.fields)) {
        if (field.write === "computed" && news[name] !== undefined) {
            failures.push({ property: name, reason: `${name} is an output of ${spec.typeName}, read from Graph; it cannot be set` });
            continue;
        }
        if (field.write === "setting" && inputs[name] === undefined && field.default !== undefined) inputs[name] = field.default;
        checkField(name, field, inputs[name], failures);
    }
    if (failures.length === 0 && spec.validate) failures.push(...spec.validate(inputs));
    return { inputs, failures };
}
