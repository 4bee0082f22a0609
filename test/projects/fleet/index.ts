// A fleet from a CSV: each row an import that waits for Autopilot, the registered device with a
// group tag and a name, and (with profileGroupId) a deployment-profile assignment.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AutopilotFleet } from "pulumi-autopilot";

const config = new pulumi.Config();
const profileGroupId = config.get("profileGroupId");

const fleet = new AutopilotFleet("fleet", {
    csvFile: path.resolve(__dirname, config.require("csvFile")),
    defaults: { groupTag: config.get("groupTag") ?? "Fleet", displayName: config.get("displayName") ?? "F-%SERIAL%" },
    profileAssignment: profileGroupId ? { target: { kind: "group", groupId: profileGroupId } } : undefined,
});

export const importCounts = fleet.importCounts;
