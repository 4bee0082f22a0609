/**
 * What the Device Directory Service's import errors mean and what to do about them
 * (Microsoft's "Windows Autopilot device import errors" troubleshooting page).
 */
const MEANINGS: Record<string, string> = {
    ZtdDeviceAlreadyAssigned:
        "the device is already registered in this tenant. Adopt it with WindowsAutopilotDeviceIdentity({ serialNumber }) instead of importing it, and remove this import.",
    ZtdDeviceAssignedToOtherTenant: "the device is registered to another tenant. That tenant (or the reseller) must deregister it first.",
    ZtdDeviceAssignedToAnotherTenant: "the device is registered to another tenant. That tenant (or the reseller) must deregister it first.",
    InvalidZtdHardwareHash: "the hardware hash is not valid. Capture it again on the device (Get-WindowsAutopilotInfo) and re-import.",
    ZtdDeviceDuplicated: "the same hardware hash is in the import more than once. Remove the duplicate row.",
    StorageError: "a transient storage error in the Autopilot service. Run `pulumi up` again later.",
};

const BY_CODE: Record<number, string> = {
    806: "ZtdDeviceAlreadyAssigned",
    808: "ZtdDeviceAssignedToOtherTenant",
};

/** One sentence on an import error: its code, its name, what it means and what to do. */
export function describeImportError(code: unknown, name: unknown): string {
    const errorName = typeof name === "string" && name !== "" ? name : typeof code === "number" ? BY_CODE[code] : undefined;
    const meaning = (errorName && MEANINGS[errorName]) ?? "see Microsoft's Autopilot import troubleshooting for this code.";
    const codePart = typeof code === "number" && code !== 0 ? `${code} ` : "";
    return `${codePart}${errorName ?? "unknown error"}: ${meaning}`;
}
