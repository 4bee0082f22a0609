// A fleet from a CSV: each row an import that waits for Autopilot, the registered device with a
// group tag and a name, and (with profileId and profileGroupId) the profile assigned to that group,
// once for the fleet.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AutopilotFleet } from "pulumi-autopilot";

const config = new pulumi.Config();
const profileGroupId = config.get("profileGroupId");
const profileId = config.get("profileId");

const fleet = new AutopilotFleet("fleet", {
    csvFile: path.resolve(__dirname, config.require("csvFile")),
    defaults: { groupTag: config.get("groupTag") ?? "Fleet", displayName: config.get("displayName") ?? "F-%SERIAL%" },
    profileAssignment: profileId && profileGroupId ? { profileId, target: { kind: "group", groupId: profileGroupId } } : undefined,
});

export const importCounts = fleet.importCounts;
