// The story end to end: a deployment profile, assigned to an Entra group, and a fleet whose group
// tag lands its devices in that group (the group is dynamic: its rule matches the group tag, see
// README.md). Intune then gives every device of the fleet the profile: no per-device assignment.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AutopilotFleet, WindowsAutopilotDeploymentProfile } from "pulumi-autopilot";

const config = new pulumi.Config();
const groupTag = config.get("groupTag") ?? "Retail";

const profile = new WindowsAutopilotDeploymentProfile("retail", {
    joinType: "entraJoined",
    displayName: `${groupTag} (Entra join, user-driven)`,
    description: `Devices with group tag ${groupTag}`,
    locale: "en-US",
    deviceNameTemplate: "RTL-%RAND:6%",
    hardwareHashExtractionEnabled: false,
    preprovisioningAllowed: true,
    outOfBoxExperienceSetting: {
        privacySettingsHidden: true,
        eulaHidden: true,
        userType: "standard",
        deviceUsageType: "singleUser",
        keyboardSelectionPageSkipped: true,
        escapeLinkHidden: true,
    },
});

const fleet = new AutopilotFleet("retail", {
    csvFile: path.join(__dirname, config.get("csvFile") ?? "devices.csv"),
    defaults: { groupTag },
    // The profile assigned once, to the group the group tag puts the fleet's devices in.
    profileAssignment: { profileId: profile.profileId, target: { kind: "group", groupId: config.require("groupId") } },
});

export const profileId = profile.profileId;
export const deviceIds = fleet.deviceIds;
