// Two devices, each given a group tag: `pulumi up --target <urn>` changes one and leaves the other.
import * as pulumi from "@pulumi/pulumi";
import { WindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();

new WindowsAutopilotDeviceIdentity("first", { deviceId: config.require("firstDevice"), groupTag: config.require("firstTag") });
new WindowsAutopilotDeviceIdentity("second", { deviceId: config.require("secondDevice"), groupTag: config.require("secondTag") });
