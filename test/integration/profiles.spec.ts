// Deployment profiles and their group assignments through the real Pulumi CLI against the
// emulator: create, update only what changed, refresh (drift, a profile deleted in the portal),
// delete (and Graph refusing a profile in use), adopt, bad input at preview, and assignments that
// belong to the profile when reached through devices.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    AssignmentTarget,
    WindowsAutopilotDeploymentProfile,
    WindowsAutopilotDeploymentProfileArgs,
    WindowsAutopilotDeploymentProfileAssignment,
} from "../../provider";
import { CliHarness, requestLines, startCliHarness, stepOf } from "./harness";
import { PulumiRunError } from "../pulumi/stack";

// Seed ids (test/emulator/seed/tenant.json).
const SALES_PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"; // "Sales (Entra join)", reaches the Sales group's devices
const LEGACY_PROFILE = "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c"; // "Kiosk (made before May 2024)": only deprecated twins stored
const PILOT_GROUP = "6b0f7c2e-1d3a-4e5f-8a9b-7c6d5e4f3a21";
const HP_1 = "4b77edd2-0549-4e37-960f-5dcd781c6560"; // 5CG1234ABC, Sales
const HP_2 = "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff"; // 5CG2345BCD, Sales
const NO_PROFILE_DEVICE = "ff02d305-3123-45cc-86ed-6ceb6a464ceb"; // 7HQ2BN3, no group tag
const PROFILES = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";

const writes = (h: CliHarness) => h.emu.requests.filter((r) => r.method !== "GET");

async function failure(run: Promise<unknown>): Promise<string> {
    try {
        await run;
    } catch (e) {
        assert.ok(e instanceof PulumiRunError, String(e));
        return e.message;
    }
    assert.fail("the command succeeded");
}

describe("WindowsAutopilotDeploymentProfile through the real Pulumi CLI", function () {
    this.timeout(240_000);
    let h: CliHarness;
    beforeEach(async () => {
        h = await startCliHarness({ profile: "live" });
    });
    afterEach(async () => {
        await h?.close();
    });

    it("creates, updates only what changed, shows drift on refresh, puts it back and deletes, with its group assignment", async () => {
        const args: WindowsAutopilotDeploymentProfileArgs = {
            joinType: "entraJoined",
            displayName: "Pilot ring",
            description: "first wave",
            locale: "en-US",
            deviceNameTemplate: "PIL-%RAND:5%",
            preprovisioningAllowed: true,
            outOfBoxExperienceSetting: { eulaHidden: true, userType: "standard" },
            roleScopeTagIds: ["0"],
        };
        let target: AssignmentTarget = { kind: "group", groupId: PILOT_GROUP };
        const stack = await h.stack(() => {
            const profile = new WindowsAutopilotDeploymentProfile("pilot", args);
            const assignment = new WindowsAutopilotDeploymentProfileAssignment("pilot-group", { profileId: profile.profileId, target });
            return { profileId: profile.profileId, assignmentId: assignment.assignmentId };
        });
        h.emu.clearRequests();
        const preview = await stack.preview();
        assert.deepStrictEqual(preview.steps.map((s) => [s.name, s.op]).sort(), [
            ["pilot", "create"],
            ["pilot-group", "create"],
        ]);
        assert.deepStrictEqual(requestLines(h.emu), [], "a preview sends no request");

        await stack.up();
        const post = h.emu.requests.find((r) => r.method === "POST" && r.path === PROFILES)!;
        const body = post.body as Record<string, unknown>;
        assert.strictEqual(body["@odata.type"], "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile");
        for (const twin of ["language", "extractHardwareHash", "enableWhiteGlove", "outOfBoxExperienceSettings"])
            assert.ok(!(twin in body), `the POST writes no deprecated ${twin}`);
        assert.strictEqual(body.locale, "en-US");
        const { profileId, assignmentId } = (await stack.outputs()) as { profileId: string; assignmentId: string };
        assert.ok(requestLines(h.emu).includes(`POST ${PROFILES}/${profileId}/assignments`));
        assert.deepStrictEqual([...h.emu.tenant.assignments.get(profileId)!.keys()], [assignmentId]);

        h.emu.clearRequests();
        const again = await stack.up();
        assert.deepStrictEqual(
            again.steps.filter((s) => s.op !== "same"),
            [],
            "Graph echoing the deprecated twins is no diff",
        );
        assert.deepStrictEqual(h.emu.requests, [], "a second up sends no request");

        args.description = "second wave";
        h.emu.clearRequests();
        const updated = await stack.up();
        assert.strictEqual(stepOf(updated.steps, "pilot").op, "update");
        assert.deepStrictEqual(
            writes(h).map((r) => [r.method, r.path, r.body]),
            [["PATCH", `${PROFILES}/${profileId}`, { "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", description: "second wave" }]],
        );

        // The group becomes an exclusion, then all devices: the assignment's target is PATCHed whole.
        for (const next of [{ kind: "exclusionGroup", groupId: PILOT_GROUP }, { kind: "allDevices" }] as AssignmentTarget[]) {
            target = next;
            h.emu.clearRequests();
            const moved = await stack.up();
            assert.strictEqual(stepOf(moved.steps, "pilot-group").op, "update");
            const sent = writes(h).map((r) => [r.method, r.path, r.body]);
            assert.strictEqual(sent.length, 1, JSON.stringify(sent));
            assert.deepStrictEqual(sent[0].slice(0, 2), ["PATCH", `${PROFILES}/${profileId}/assignments/${assignmentId}`]);
            assert.strictEqual(
                (sent[0][2] as Record<string, Record<string, unknown>>).target["@odata.type"],
                `#microsoft.graph.${(next as { kind: string }).kind}AssignmentTarget`,
            );
        }

        // Someone changes the locale in the portal: refresh shows it, the next up puts it back.
        h.emu.tenant.profiles.get(profileId)!.locale = "fr-FR";
        const refreshed = await stack.refresh();
        assert.strictEqual(stepOf(refreshed.steps, "pilot").op, "update");
        const state = await stack.resource("autopilot:WindowsAutopilotDeploymentProfile", "pilot");
        assert.strictEqual(state?.outputs?.locale, "fr-FR");
        h.emu.clearRequests();
        await stack.up();
        assert.deepStrictEqual(
            writes(h).map((r) => [r.method, (r.body as Record<string, unknown>).locale]),
            [["PATCH", "en-US"]],
        );
        assert.strictEqual(h.emu.tenant.profiles.get(profileId)!.locale, "en-US");

        h.emu.clearRequests();
        await stack.destroy();
        assert.deepStrictEqual(
            writes(h).map((r) => `${r.method} ${r.path}`),
            [`DELETE ${PROFILES}/${profileId}/assignments/${assignmentId}`, `DELETE ${PROFILES}/${profileId}`],
        );
        assert.ok(!h.emu.tenant.profiles.has(profileId));
    });

    it("rejects bad input at preview, naming the field, before any request", async () => {
        let args: Record<string, unknown> = {};
        const stack = await h.stack(() => new WindowsAutopilotDeploymentProfile("bad", args as WindowsAutopilotDeploymentProfileArgs));
        const cases: Array<[Record<string, unknown>, RegExp]> = [
            [
                { joinType: "entraJoined", displayName: "x", deviceNameTemplate: "CONTOSO-SALES-%RAND:4%" },
                /deviceNameTemplate "CONTOSO-SALES-%RAND:4%" expands to at least 18 characters; a device name is at most 15/,
            ],
            [{ joinType: "entraJoined", displayName: "x", deviceNameTemplate: "PC_%SERIAL%" }, /deviceNameTemplate "PC_%SERIAL%" holds "_"/],
            [
                { joinType: "entraJoined", displayName: "x", deviceNameTemplate: "PC-%SERIAL%-%DATE%" },
                /deviceNameTemplate .* the only macros are %SERIAL% and %RAND:n%/,
            ],
            [{ joinType: "workgroup", displayName: "x" }, /joinType "workgroup" is not allowed; allowed values: entraJoined, hybridJoined/],
            [{ displayName: "x" }, /joinType is required to create a profile/],
            [
                { joinType: "entraJoined", displayName: "x", hybridAzureADJoinSkipConnectivityCheck: true },
                /hybridAzureADJoinSkipConnectivityCheck applies only to joinType hybridJoined/,
            ],
            [{ joinType: "entraJoined", displayName: "x", deviceType: "toaster" }, /deviceType "toaster" is not allowed; allowed values: windowsPc, holoLens/],
            [
                { joinType: "entraJoined", displayName: "x", outOfBoxExperienceSetting: { userType: "guest" } },
                /outOfBoxExperienceSetting.userType "guest" is not allowed; allowed values: administrator, standard/,
            ],
            [{ joinType: "entraJoined", displayName: "x", language: "en-US" }, /language is not an input of WindowsAutopilotDeploymentProfile/],
            [{ joinType: "entraJoined", displayName: "x", createdDateTime: "2024-01-01T00:00:00Z" }, /createdDateTime is an output/],
        ];
        for (const [given, reason] of cases) {
            args = given;
            h.emu.clearRequests();
            const message = await failure(stack.preview());
            assert.match(message, reason);
            assert.deepStrictEqual(h.emu.requests, [], JSON.stringify(given));
        }
    });

    it("a profile deleted in the portal leaves the state on refresh", async () => {
        const stack = await h.stack(() => {
            new WindowsAutopilotDeploymentProfile("gone", {
                joinType: "hybridJoined",
                displayName: "Hybrid pilot",
                hybridAzureADJoinSkipConnectivityCheck: true,
            });
        });
        await stack.up();
        const made = await stack.resource("autopilot:WindowsAutopilotDeploymentProfile", "gone");
        assert.strictEqual(h.emu.tenant.profiles.get(String(made?.id))?.["@odata.type"], "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile");
        h.emu.tenant.profiles.delete(String(made?.id));
        const refreshed = await stack.refresh();
        assert.strictEqual(stepOf(refreshed.steps, "gone").op, "drop");
        assert.strictEqual(await stack.resource("autopilot:WindowsAutopilotDeploymentProfile", "gone"), undefined);
    });

    it("deleting a profile Graph refuses (an assignment made in the portal) fails with what to remove, not a raw 400", async () => {
        const stack = await h.stack(() => {
            new WindowsAutopilotDeploymentProfile("used", { joinType: "entraJoined", displayName: "Used elsewhere" });
        });
        await stack.up();
        const id = String((await stack.resource("autopilot:WindowsAutopilotDeploymentProfile", "used"))?.id);
        h.emu.tenant.assignments.get(id)!.set("7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f", {
            id: "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
            source: "direct",
            target: { "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: PILOT_GROUP },
        });
        const message = await failure(stack.destroy());
        assert.match(message, new RegExp(`deployment profile ${id} still has 1 group assignment\\(s\\) \\(7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f\\)`));
        assert.match(message, /Graph refuses to delete a profile in use \(400 BadRequest, request-id [0-9a-f-]+\)/);
        assert.match(message, /Remove its WindowsAutopilotDeploymentProfileAssignment resources/);
        assert.ok(h.emu.tenant.profiles.has(id));
        assert.ok(await stack.resource("autopilot:WindowsAutopilotDeploymentProfile", "used"), "the profile stays in the state");
    });

    it("adopts a profile by its exact displayName; one made before the twins' deprecation reads without a diff", async () => {
        let name = "Kiosk (made before May 2024)";
        const stack = await h.stack(() => {
            const p = new WindowsAutopilotDeploymentProfile("kiosk", {
                adoptByDisplayName: true,
                displayName: name,
                locale: "de-DE",
                hardwareHashExtractionEnabled: true,
                preprovisioningAllowed: false,
                outOfBoxExperienceSetting: { deviceUsageType: "shared", privacySettingsHidden: true },
            });
            return { id: p.profileId };
        });
        h.emu.clearRequests();
        await stack.up();
        assert.deepStrictEqual(writes(h), [], "adopting sends no write: the deprecated twins hold the values");
        assert.strictEqual((await stack.outputs()).id, LEGACY_PROFILE);
        const refreshed = await stack.refresh();
        assert.deepStrictEqual(
            refreshed.steps.filter((s) => s.op !== "same"),
            [],
        );
        h.emu.clearRequests();
        const again = await stack.up();
        assert.deepStrictEqual(
            again.steps.filter((s) => s.op !== "same"),
            [],
        );
        assert.deepStrictEqual(h.emu.requests, []);

        name = "Kiosk";
        const other = await h.stack(() => {
            new WindowsAutopilotDeploymentProfile("nope", { adoptByDisplayName: true, displayName: name });
        });
        assert.match(await failure(other.up()), /displayName: no deployment profile is named exactly "Kiosk"/);
    });
});

describe("assignments reached through devices belong to the profile (real Pulumi CLI)", function () {
    this.timeout(240_000);
    let h: CliHarness;
    beforeEach(async () => {
        h = await startCliHarness({ profile: "live" });
    });
    afterEach(async () => {
        await h?.close();
    });

    it("two declarations through two devices with one profile: one Graph assignment; the second is refused, naming the profile", async () => {
        const stack = await h.stack(() => {
            const first = new WindowsAutopilotDeploymentProfileAssignment("via-hp1", { deviceId: HP_1, target: { kind: "group", groupId: PILOT_GROUP } });
            new WindowsAutopilotDeploymentProfileAssignment(
                "via-hp2",
                { deviceId: HP_2, target: { kind: "group", groupId: PILOT_GROUP } },
                { dependsOn: [first] },
            );
        });
        const message = await failure(stack.up());
        assert.match(
            message,
            new RegExp(
                `device ${HP_2} has deployment profile ${SALES_PROFILE} \\("Sales \\(Entra join\\)"\\), which already has an assignment to group ${PILOT_GROUP}`,
            ),
        );
        assert.match(message, new RegExp(`declare it once with profileId: "${SALES_PROFILE}"`));
        const pilot = [...h.emu.tenant.assignments.get(SALES_PROFILE)!.values()].filter((a) => a.target?.groupId === PILOT_GROUP);
        assert.strictEqual(pilot.length, 1, "one Graph assignment");
        const first = await stack.resource("autopilot:WindowsAutopilotDeploymentProfileAssignment", "via-hp1");
        assert.strictEqual(first?.id, pilot[0].id);
        assert.strictEqual(first?.outputs?.profileId, SALES_PROFILE, "the declaration records the profile it reached");
        assert.strictEqual(await stack.resource("autopilot:WindowsAutopilotDeploymentProfileAssignment", "via-hp2"), undefined);

        // The one that made it owns it: destroying it removes it.
        await stack.destroy();
        assert.ok(![...h.emu.tenant.assignments.get(SALES_PROFILE)!.values()].some((a) => a.target?.groupId === PILOT_GROUP));
    });

    it("a device without a profile gets a clear answer", async () => {
        const stack = await h.stack(() => {
            new WindowsAutopilotDeploymentProfileAssignment("orphan", { deviceId: NO_PROFILE_DEVICE, target: { kind: "group", groupId: PILOT_GROUP } });
        });
        const message = await failure(stack.up());
        assert.match(message, new RegExp(`deviceId: Autopilot device ${NO_PROFILE_DEVICE} has no deployment profile yet`));
        assert.match(message, /declare it with profileId/);
    });

    it("requires exactly one of profileId and deviceId, at preview", async () => {
        const stack = await h.stack(() => {
            new WindowsAutopilotDeploymentProfileAssignment("both", {
                deviceId: HP_1,
                profileId: pulumi.output(SALES_PROFILE),
                target: { kind: "allDevices" },
            });
        });
        assert.match(await failure(stack.preview()), /give exactly one of profileId .* or deviceId/);
    });
});
