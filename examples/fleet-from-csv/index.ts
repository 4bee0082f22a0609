// A vendor handed over a CSV of hardware hashes. Five lines of Pulumi: import every device, wait
// for Autopilot to register it, give it a group tag, a name and its user, and assign a deployment
// profile to the group those devices are in (once, for the fleet: the assignment is the profile's).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AutopilotFleet } from "pulumi-autopilot";

const config = new pulumi.Config();
const profileGroupId = config.get("profileGroupId");
const profileId = config.get("profileId");

const fleet = new AutopilotFleet("sales", {
    csvFile: path.join(__dirname, config.get("csvFile") ?? "devices.csv"),
    defaults: { groupTag: config.get("groupTag") ?? "Sales", displayName: config.get("deviceNameTemplate") ?? "S-%SERIAL%" },
    profileAssignment: profileGroupId && profileId ? { profileId, target: { kind: "group", groupId: profileGroupId } } : undefined,
    skipBadRows: config.getBoolean("skipBadRows") ?? false,
    importRecord: config.get("importRecord") === "remove" ? "remove" : "keep",
});

export const deviceIds = fleet.deviceIds;
export const importCounts = fleet.importCounts;
export const skippedRows = fleet.skippedRows;
