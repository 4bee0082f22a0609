/**
 * Looks for secrets in a Pulumi state as a user sees it (`pulumi stack export`, no
 * --show-secrets, or the backend's file): each hardware hash, product key and the access token,
 * as text, and counts the hardware hashes the state keeps as ciphertext.
 */

/** Pulumi's marker of a secret value in a state. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
// A truncated hash is still a leak: the first characters are looked for as well.
const PREFIX_CHARS = 64;

/** The secrets the state must not hold in plain text. */
export interface KnownSecrets {
    hardwareHashes: string[];
    productKeys: string[];
    accessToken: string;
}

/** What the state holds. */
export interface StateSecretsReport {
    bytes: number;
    resources: number;
    /** Resources of this package (`pulumi-nodejs:dynamic/autopilot:*`). */
    autopilotResources: number;
    /** The types of the other resources (the stack, components, providers). */
    otherTypes: string[];
    /** Import resources whose hardware-hash input is a secret (ciphertext). */
    hashesSealed: number;
    /** Hardware hashes (whole, or their first 64 characters) found as text. */
    hashesInPlainText: number;
    productKeysInPlainText: number;
    tokenInPlainText: boolean;
}

interface StateResource {
    type?: string;
    inputs?: Record<string, unknown>;
}

function isSealed(value: unknown): boolean {
    return typeof value === "object" && value !== null && SECRET_SIG in value && typeof (value as Record<string, unknown>).ciphertext === "string";
}

/** Audits the text of `pulumi stack export` (or a backend state file, whose resources sit in `checkpoint.latest`). */
export function auditState(stateText: string, secrets: KnownSecrets): StateSecretsReport {
    const parsed = JSON.parse(stateText) as { deployment?: { resources?: StateResource[] }; checkpoint?: { latest?: { resources?: StateResource[] } } };
    const resources = parsed.deployment?.resources ?? parsed.checkpoint?.latest?.resources ?? [];
    const found = (s: string) => s !== "" && (stateText.includes(s) || stateText.includes(s.slice(0, PREFIX_CHARS)));
    const autopilot = resources.filter((r) => r.type?.startsWith("pulumi-nodejs:dynamic/autopilot:"));
    return {
        bytes: Buffer.byteLength(stateText),
        resources: resources.length,
        autopilotResources: autopilot.length,
        otherTypes: resources.filter((r) => !autopilot.includes(r)).map((r) => r.type ?? "?"),
        hashesSealed: autopilot.filter((r) => r.type!.endsWith(":ImportedWindowsAutopilotDeviceIdentity") && isSealed(r.inputs?.hardwareIdentifier)).length,
        hashesInPlainText: secrets.hardwareHashes.filter(found).length,
        productKeysInPlainText: secrets.productKeys.filter(found).length,
        tokenInPlainText: found(secrets.accessToken),
    };
}
