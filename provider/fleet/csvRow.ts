import { type FieldKind, type FieldSpec, validateValue } from "../lifecycle/fields";
import { importedIdentityFields } from "../resources/importedIdentity/spec";
import type { HeaderLayout } from "./csvHeader";
import type { CsvRecord } from "./csvRecords";
import type { CsvProblem, HardwareHashRow } from "./csvTypes";

// The kinds come from the imported-identity spec (hash bounds HARDWARE_HASH_BYTES, serial
// alphabet, UPN shape, product-key length), so a row this reader accepts also passes the
// resource's check during preview.
function kindOf(property: string): FieldKind {
    const field = (importedIdentityFields as Record<string, FieldSpec>)[property];
    if (field === undefined) throw new Error(`importedIdentity spec has no field "${property}"`);
    return field.kind;
}

const NOT_UTF8 = "holds bytes that are not valid UTF-8 text: save the file as UTF-8 or UTF-16 (Unicode)";

/**
 * Checks one device row against the header layout. Returns the normalized row, or every problem
 * with it (then no row). Reasons never contain the hardware hash or the product key.
 */
export function readRow(record: CsvRecord, layout: HeaderLayout, file: string, lossy: boolean): { row?: HardwareHashRow; problems: CsvProblem[] } {
    const { fields, line } = record;
    if (fields.length !== layout.width) {
        // Values would be read from the wrong columns: nothing else about the row can be trusted.
        const reason = `has ${fields.length} ${fields.length === 1 ? "value" : "values"} but the header has ${layout.width} columns: a value holding a comma must be quoted`;
        return { problems: [{ file, line, reason }] };
    }
    const problems: CsvProblem[] = [];
    const value = (key: keyof HeaderLayout["index"]): string => {
        const i = layout.index[key];
        return i === undefined ? "" : fields[i].trim();
    };
    /** Checks one value against the imported-identity spec's `property`; an empty one is a problem only for a column the row `needs`. */
    const check = (key: keyof HeaderLayout["index"], v: string, property: string, secret: boolean, needs?: string): string => {
        const column = layout.label[key];
        if (v === "") {
            if (needs !== undefined) problems.push({ file, line, column, reason: `is empty: every row needs the device's ${needs}` });
            return v;
        }
        // A U+FFFD stands for bytes the decoder could not read: the value is not what the file meant.
        const reason = lossy && v.includes("\ufffd") ? NOT_UTF8 : validateValue(kindOf(property), v, secret);
        if (reason !== undefined) problems.push({ file, line, column, reason });
        return v;
    };

    const serialNumber = check("serialNumber", value("serialNumber"), "serialNumber", false, "serial number");
    // A hash copied from a console or a wrapped cell may hold line breaks or spaces.
    const hardwareIdentifier = check("hardwareIdentifier", value("hardwareIdentifier").replace(/\s+/g, ""), "hardwareIdentifier", true, "hardware hash");
    const productKey = check("productKey", value("productKey"), "productKey", true);
    const groupTag = check("groupTag", value("groupTag"), "groupTag", false);
    const assignedUser = check("assignedUser", value("assignedUser"), "assignedUserPrincipalName", false);

    if (problems.length > 0) return { problems };
    const row: HardwareHashRow = { serialNumber, hardwareIdentifier, line };
    // Optional values are left out rather than set to undefined: Pulumi's host rejects undefined.
    if (productKey !== "") row.productKey = productKey;
    if (groupTag !== "") row.groupTag = groupTag;
    if (assignedUser !== "") row.assignedUser = assignedUser;
    return { row, problems };
}
