import * as assert from "assert";
import {
    ImportedWindowsAutopilotDeviceIdentityUpload,
    ImportedWindowsAutopilotDeviceIdentityUploadArgs,
    WindowsAutopilotDeploymentProfileAssignment,
    WindowsAutopilotDeploymentProfileAssignmentArgs,
} from "../../provider";
import { CliHarness, failing, outputsOf, requestLines, startCliHarness, stepOf } from "./harness";

const UPLOAD_ID = "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe";
const UPLOADS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads";
const DEVICE = "1cb374d2-6cd6-4ba1-a886-448a9054629d";
const SEED_ASSIGNMENT = { device: "4b77edd2-0549-4e37-960f-5dcd781c6560", id: "a979a3cd-8d8c-4be2-8cca-9193cb7ba682" };
// The device-scoped route reaches the profile the device has; the assignments are the profile's.
const DEVICE_PROFILE = (device: string) => `/beta/deviceManagement/windowsAutopilotDeviceIdentities/${device}/deploymentProfile`;
const THROUGH_DEVICE = (device: string) => `${DEVICE_PROFILE(device)}/assignments`;
const FINANCE_PROFILE = "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"; // the profile DEVICE (group tag Finance) has
const PROFILE_ASSIGNMENTS = (profile: string) => `/beta/deviceManagement/windowsAutopilotDeploymentProfiles/${profile}/assignments`;
const GROUP_A = "0b8d3c1e-2f4a-4d5b-9c6e-7f8a9b0c1d2e";
const GROUP_B = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
const ASSIGNMENT_TYPE = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

for (const profile of ["documented", "live"] as const) {
    describe(`ImportedWindowsAutopilotDeviceIdentityUpload through the real Pulumi CLI (${profile} profile)`, function () {
        this.timeout(120_000);
        let h: CliHarness;
        before(async () => {
            h = await startCliHarness({ profile });
        });
        after(async () => h?.close());
        beforeEach(() => h.emu.clearRequests());

        it("adopts by uploadId, PATCHes only the changed status, reads, and releases on delete", async () => {
            let status: "pending" | "complete" = "complete";
            let declared = true;
            const stack = await h.stack(() => {
                if (declared) new ImportedWindowsAutopilotDeviceIdentityUpload("upload", { uploadId: UPLOAD_ID, status });
            });
            await stack.up();
            assert.deepStrictEqual(requestLines(h.emu), [`GET ${UPLOADS}/${UPLOAD_ID}`]);
            status = "pending";
            h.emu.clearRequests();
            const step = stepOf((await stack.up()).steps, "upload");
            assert.strictEqual(step.op, "update", step.error);
            const patch = h.emu.requests.find((r) => r.method === "PATCH")!;
            assert.strictEqual(patch.path, `${UPLOADS}/${UPLOAD_ID}`);
            assert.deepStrictEqual(patch.body, { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload", status: "pending" });
            assert.strictEqual((await outputsOf(stack, "autopilot:ImportedWindowsAutopilotDeviceIdentityUpload", "upload")).status, "pending");

            h.emu.tenant.uploads.get(UPLOAD_ID)!.status = "error";
            const refreshed = await stack.refresh();
            assert.deepStrictEqual(stepOf(refreshed.steps, "upload").changed, ["status"]);

            declared = false;
            h.emu.clearRequests();
            assert.strictEqual(stepOf((await stack.up()).steps, "upload").op, "delete");
            assert.deepStrictEqual(h.emu.requests, [], "release sends nothing");
            assert.ok(h.emu.tenant.uploads.has(UPLOAD_ID));
        });
    });

    describe(`WindowsAutopilotDeploymentProfileAssignment through the real Pulumi CLI (${profile} profile)`, function () {
        this.timeout(120_000);
        let h: CliHarness;
        before(async () => {
            h = await startCliHarness({ profile });
        });
        after(async () => h?.close());
        beforeEach(() => h.emu.clearRequests());

        it("creates with POST, PATCHes a changed target whole, PATCHes only a changed source, and DELETEs", async () => {
            let args: WindowsAutopilotDeploymentProfileAssignmentArgs | undefined = { deviceId: DEVICE, target: { kind: "group", groupId: GROUP_A } };
            const stack = await h.stack(() => {
                if (args) new WindowsAutopilotDeploymentProfileAssignment("assign", args);
            });
            const created = stepOf((await stack.up()).steps, "assign");
            assert.strictEqual(created.op, "create", created.error);
            // The device's profile, a look at that profile's assignments for this target (another
            // declaration or an interrupted run may own one), then the POST through the device.
            assert.deepStrictEqual(requestLines(h.emu).slice(0, 3), [
                `GET ${DEVICE_PROFILE(DEVICE)}`,
                `GET ${PROFILE_ASSIGNMENTS(FINANCE_PROFILE)}`,
                `POST ${THROUGH_DEVICE(DEVICE)}`,
            ]);
            const post = h.emu.requests[2];
            assert.deepStrictEqual(post.body, {
                "@odata.type": ASSIGNMENT_TYPE,
                target: { "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: GROUP_A },
            });
            const id = created.id;
            assert.ok(id, "the create reports the assignment's id");
            assert.deepStrictEqual((await outputsOf(stack, "autopilot:WindowsAutopilotDeploymentProfileAssignment", "assign")).target, {
                kind: "group",
                groupId: GROUP_A,
                deviceAndAppManagementAssignmentFilterType: "none",
            });

            args = { deviceId: DEVICE, target: { kind: "exclusionGroup", groupId: GROUP_B } };
            h.emu.clearRequests();
            assert.strictEqual(stepOf((await stack.up()).steps, "assign").op, "update");
            const patch = h.emu.requests.find((r) => r.method === "PATCH")!;
            assert.strictEqual(patch.path, `${THROUGH_DEVICE(DEVICE)}/${id}`);
            assert.deepStrictEqual(patch.body, {
                "@odata.type": ASSIGNMENT_TYPE,
                target: { "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", groupId: GROUP_B },
            });

            args = { deviceId: DEVICE, target: { kind: "exclusionGroup", groupId: GROUP_B }, source: "policySets" };
            h.emu.clearRequests();
            await stack.up();
            assert.deepStrictEqual(h.emu.requests.find((r) => r.method === "PATCH")!.body, { "@odata.type": ASSIGNMENT_TYPE, source: "policySets" });

            h.emu.clearRequests();
            const plan = await stack.preview();
            assert.strictEqual(stepOf(plan.steps, "assign").op, "same");
            assert.deepStrictEqual(h.emu.requests, []);

            args = undefined;
            await stack.up();
            // On the profile the create recorded: the device may have another profile by now.
            assert.deepStrictEqual(requestLines(h.emu), [`DELETE ${PROFILE_ASSIGNMENTS(FINANCE_PROFILE)}/${id}`]);
            assert.ok(h.emu.tenant.assignments.get(FINANCE_PROFILE)?.size, "the profile's other assignments stay");
            assert.ok(!h.emu.tenant.assignments.get(FINANCE_PROFILE)?.has(id));
        });

        it("adopts an assignment by assignmentId and maps Graph's target type back to a kind", async () => {
            const stack = await h.stack(() => {
                new WindowsAutopilotDeploymentProfileAssignment("seeded", { deviceId: SEED_ASSIGNMENT.device, assignmentId: SEED_ASSIGNMENT.id });
            });
            await stack.up();
            // The device's profile (recorded, so the assignment is known to be the profile's), then the assignment.
            assert.deepStrictEqual(requestLines(h.emu), [
                `GET ${DEVICE_PROFILE(SEED_ASSIGNMENT.device)}`,
                `GET ${THROUGH_DEVICE(SEED_ASSIGNMENT.device)}/${SEED_ASSIGNMENT.id}`,
            ]);
            const target = (await outputsOf(stack, "autopilot:WindowsAutopilotDeploymentProfileAssignment", "seeded")).target as Record<string, unknown>;
            assert.strictEqual(target.kind, "group");
            assert.strictEqual(target.groupId, "4feb833d-fd1e-48eb-ad7e-9e4843bc2207");
        });
    });
}

describe("upload and assignment check, through the real Pulumi CLI", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "documented" });
    });
    after(async () => h?.close());

    it("rejects every bad input at preview, naming the field, with no request", async () => {
        const assignmentCases: [WindowsAutopilotDeploymentProfileAssignmentArgs, RegExp][] = [
            [{ deviceId: DEVICE } as WindowsAutopilotDeploymentProfileAssignmentArgs, /target is required to create an assignment/],
            [{ deviceId: DEVICE, target: { kind: "group" } }, /target.groupId \(a GUID\) is required when target.kind is group/],
            [{ deviceId: DEVICE, target: { kind: "exclusionGroup", groupId: "sales" } }, /target.groupId "sales" is not a GUID/],
            [
                { deviceId: DEVICE, target: { kind: "configurationManagerCollection" } },
                /target.collectionId is required when target.kind is configurationManagerCollection/,
            ],
            [{ deviceId: DEVICE, target: { kind: "allDevices", groupId: GROUP_A } }, /target.groupId applies only to kind group or exclusionGroup/],
            [
                { deviceId: DEVICE, target: { kind: "everyone" as "allDevices" } },
                /target.kind "everyone" is not allowed; allowed values: group, exclusionGroup, allDevices, allLicensedUsers, configurationManagerCollection/,
            ],
            [
                { deviceId: DEVICE, target: { kind: "allDevices", deviceAndAppManagementAssignmentFilterType: "include" } },
                /deviceAndAppManagementAssignmentFilterId is required when the filter type is include/,
            ],
            [
                { deviceId: DEVICE, target: { kind: "allDevices", deviceAndAppManagementAssignmentFilterType: "only" as "include" } },
                /deviceAndAppManagementAssignmentFilterType "only" is not allowed; allowed values: none, include, exclude/,
            ],
            [
                { deviceId: DEVICE, target: { kind: "allDevices" }, source: "inherited" as "direct" },
                /source "inherited" is not allowed; allowed values: direct, policySets/,
            ],
            [{ target: { kind: "allDevices" } } as WindowsAutopilotDeploymentProfileAssignmentArgs, /give exactly one of profileId .* or deviceId/],
        ];
        const uploadCases: [ImportedWindowsAutopilotDeviceIdentityUploadArgs, RegExp][] = [
            [{ uploadId: UPLOAD_ID, status: "done" as "complete" }, /status "done" is not allowed; allowed values: noUpload, pending, complete, error/],
            [{ uploadId: UPLOAD_ID, createdDateTimeUtc: "11/22/2026" }, /createdDateTimeUtc "11\/22\/2026" is not an ISO 8601 date-time/],
            [{} as ImportedWindowsAutopilotDeviceIdentityUploadArgs, /uploadId is required/],
        ];
        // One stack, one preview per case: the engine stops a preview at the first invalid resource.
        let declare: () => void = () => undefined;
        const stack = await h.stack(() => declare());
        const cases: [string, () => void, RegExp][] = [
            ...assignmentCases.map(([args, expected]): [string, () => void, RegExp] => [
                "a",
                () => new WindowsAutopilotDeploymentProfileAssignment("a", args),
                expected,
            ]),
            ...uploadCases.map(([args, expected]): [string, () => void, RegExp] => [
                "u",
                () => new ImportedWindowsAutopilotDeviceIdentityUpload("u", args),
                expected,
            ]),
        ];
        for (const [name, program, expected] of cases) {
            declare = program;
            const error = await failing(stack.preview());
            assert.strictEqual(stepOf(error.result.steps, name).op, "failed", String(expected));
            assert.match(error.message, expected);
        }
        assert.deepStrictEqual(h.emu.requests, []);
    });
});
