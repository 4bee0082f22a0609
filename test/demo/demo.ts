/**
 * `npm run demo`: the fleet story through the real Pulumi CLI, against the bundled Graph emulator,
 * offline. In a copy of examples/fleet-from-csv it runs the commands a user types: `pulumi preview`
 * with the CSV as delivered (the bad rows reported, nothing created), `pulumi config set
 * skipBadRows true` and `pulumi preview` (the plan), `pulumi up` (imports pending -> complete, then
 * tags, names, users, and the profile assigned to the Sales group once), `pulumi up` again (no change, no Graph request) and
 * `pulumi stack export` (no hardware hash, product key or token in plain text). It prints the
 * session and checks each step; the exit code is non-zero when a step did not go as described.
 */
import * as fs from "fs";
import * as path from "path";
import { startEmulator, DEFAULT_TOKEN, Emulator } from "../emulator";
import { PulumiSandbox, REPO_ROOT, workFolder } from "../pulumi/cli";
import { readFleetCsv, FleetCsv } from "./fleetCsv";
import { FleetInGraph } from "./fleetInGraph";
import { bytes, requestsByRoute, table } from "./present";
import { auditState, KnownSecrets } from "./stateAudit";
import { CommandResult, PulumiShell } from "./pulumiShell";
import { Transcript } from "./transcript";

const EXAMPLE = path.join(REPO_ROOT, "examples", "fleet-from-csv");
const STACK = "demo";
// The seeded tenant's "Sales (Entra join)" profile and the dynamic group its Sales group tag fills.
const PROFILE = { id: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", name: "Sales (Entra join)", groupId: "4feb833d-fd1e-48eb-ad7e-9e4843bc2207", groupTag: "Sales" };
// The defaults of the example's Pulumi.yaml (groupTag, deviceNameTemplate): what a device gets when its row says nothing.
const EXAMPLE_DEFAULTS = { groupTag: "Sales", displayName: "S-%SERIAL%" };
// What the fleet plans: an import and a device per good row, and one profile assignment for the fleet.
const PER_ROW_TYPES = ["ImportedWindowsAutopilotDeviceIdentity", "WindowsAutopilotDeviceIdentity"];
const ASSIGNMENT_TYPE = "WindowsAutopilotDeploymentProfileAssignment";

/** A copy of the example without its node_modules or stack files, so that no stack file lands in the repository. */
function copyProject(source: string): string {
    const dir = workFolder(path.basename(source));
    for (const entry of fs.readdirSync(source).filter((f) => f !== "node_modules" && !/^Pulumi\..+\.yaml$/.test(f))) {
        fs.cpSync(path.join(source, entry), path.join(dir, entry), { recursive: true });
    }
    return dir;
}

/** Lines of a preview that plan a create, by resource class: ` +  pulumi-nodejs:dynamic/autopilot:X name create`. */
function plannedCreates(output: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of output.matchAll(/^ \+\s+pulumi-nodejs:dynamic\/autopilot:(\w+) \S+ create\s*$/gm)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
    return counts;
}

/** Each "Resources:" summary the CLI printed (a preview's, then an update's), e.g. "+ 71 to create" or "71 unchanged". */
function resourceSummaries(output: string): string[] {
    return [...output.matchAll(/^Resources:\n((?:[ \t]+\S.*\n?)+)/gm)].map((m) =>
        m[1]
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean)
            .join(", "),
    );
}

/** The last summary, or a note that there was none. */
function resourceSummary(output: string): string {
    return resourceSummaries(output).pop() ?? "no summary";
}

/** One run of the demo; `run()` returns the exit code. */
class FleetDemo {
    private readonly t = new Transcript((line) => process.stdout.write(line + "\n"));
    private interrupted = false;

    constructor(
        private readonly emu: Emulator,
        private readonly sandbox: PulumiSandbox,
        private readonly dir: string,
        private readonly csv: FleetCsv,
    ) {}

    private shell(): PulumiShell {
        return new PulumiShell(this.sandbox, this.dir, this.t);
    }

    private fleet(): FleetInGraph {
        return new FleetInGraph(this.emu, this.csv.devices, PROFILE.id);
    }

    interrupt(): void {
        this.interrupted = true;
    }

    private stopIfInterrupted(): void {
        if (this.interrupted) throw new Error("interrupted");
    }

    async run(): Promise<number> {
        const started = Date.now();
        this.intro();
        await this.setUp();
        const steps = [
            () => this.previewAsDelivered(),
            () => this.previewSkippingBadRows(),
            () => this.apply(),
            () => this.applyAgain(),
            () => this.exportState(),
        ];
        for (const step of steps) {
            this.stopIfInterrupted();
            this.t.line();
            await step();
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(0);
        this.t.line();
        const failed = this.t.failed;
        this.t.note(
            failed.length === 0
                ? `Demo finished in ${seconds} s: every step went as described.`
                : `Demo finished in ${seconds} s with ${failed.length} failed check(s):\n${failed.map((f) => `  - ${f}`).join("\n")}`,
        );
        return failed.length === 0 ? 0 : 1;
    }

    private intro(): void {
        const cli = this.sandbox.cli;
        const where = cli.source === "built" ? `built from Pulumi's Go modules into ${path.relative(REPO_ROOT, cli.binDir)}` : `found on PATH in ${cli.binDir}`;
        const bad = this.csv.problemLocations.map((p) => `line ${p.line}${p.column ? ` (${p.column})` : ""}`).join(", ");
        this.t.note(
            [
                "pulumi-autopilot demo: a fleet from a CSV of hardware hashes, through the real Pulumi CLI.",
                "",
                `Pulumi: the CLI ${cli.version}, ${where}, with its Node.js language host.`,
                `  Offline: a file backend and a PULUMI_HOME of its own in ${this.sandbox.dir}, secrets`,
                "  sealed with a passphrase; nothing leaves this machine and your ~/.pulumi is not touched.",
                `Graph: the bundled emulator at ${this.emu.url}, live profile (an import stays pending for a`,
                "  few reads; PATCH on a device is refused, as by the live service).",
                `Project: a copy of examples/fleet-from-csv in ${path.relative(REPO_ROOT, this.dir)} (removed at the end).`,
                `  Its devices.csv has ${this.csv.rowCount} rows as Get-WindowsAutopilotInfo writes them; bad: ${bad}.`,
                "The commands below are the ones a user types; what follows each is what pulumi prints.",
            ].join("\n"),
        );
    }

    /** A command that must succeed for the demo to go on. */
    private async must(args: string[]): Promise<CommandResult> {
        const result = await this.shell().run(args);
        if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${result.code}`);
        return result;
    }

    private async setUp(): Promise<void> {
        this.t.line();
        this.t.note("A stack pointed at the emulator (against a tenant: autopilot:tenantId, clientId and a secret clientSecret).");
        await this.must(["stack", "init", STACK]);
        await this.must(["config", "set", "autopilot:graphEndpoint", this.emu.url]);
        await this.must(["config", "set", "--secret", "autopilot:accessToken", DEFAULT_TOKEN]);
        await this.must(["config", "set", "profileId", PROFILE.id]);
        await this.must(["config", "set", "profileGroupId", PROFILE.groupId]);
    }

    private async previewAsDelivered(): Promise<void> {
        this.t.note("1. Preview with the CSV as delivered: the fleet checks every row before it sends anything.");
        this.emu.clearRequests();
        const result = await this.shell().run(["preview"]);
        this.t.check(result.code !== 0, `pulumi preview failed (exit code ${result.code})`);
        const located = this.csv.problemLocations.map((p) => `devices.csv:${p.line}: ${p.column ? `${p.column}: ` : ""}`);
        const missing = located.filter((l) => !result.output.includes(l));
        this.t.check(
            located.length > 0 && missing.length === 0,
            missing.length === 0
                ? `it reported each bad row with file, line, column and reason: ${located.map((l) => l.replace(/: $/, "")).join("; ")}`
                : `bad rows not reported: ${missing.join("; ")}`,
        );
        const imports = Object.keys(this.fleet().counts().imports).length;
        this.t.check(this.emu.requests.length === 0 && imports === 0, `nothing was created: ${this.emu.requests.length} Graph request(s)`);
    }

    private async previewSkippingBadRows(): Promise<void> {
        const good = this.csv.devices.length;
        this.t.note(`2. Import the ${good} good rows; the bad ones become warnings.`);
        await this.must(["config", "set", "skipBadRows", "true"]);
        this.emu.clearRequests();
        const result = await this.shell().run(["preview"]);
        this.t.check(result.code === 0, `pulumi preview succeeded (exit code ${result.code})`);
        const creates = plannedCreates(result.output);
        const total = [...creates.values()].reduce((a, b) => a + b, 0);
        const perClass = [...PER_ROW_TYPES, ASSIGNMENT_TYPE].map((type) => `${creates.get(type) ?? 0} ${type}`);
        this.t.check(
            total === 2 * good + 1 && PER_ROW_TYPES.every((type) => creates.get(type) === good) && creates.get(ASSIGNMENT_TYPE) === 1,
            `the plan creates ${total} Autopilot resources, an import and a device per good row and the profile's group assignment once: ${perClass.join(", ")} (the CLI's "${resourceSummary(result.output)}" also counts the stack and the fleet component)`,
        );
        this.t.check(/warning: AutopilotFleet sales: skipping \d+ bad row/.test(result.output), "the bad rows are listed as a warning");
        this.t.check(this.emu.requests.length === 0, `${this.emu.requests.length} Graph request(s): a preview of new resources sends none`);
    }

    private async apply(): Promise<void> {
        const fleet = this.fleet();
        const total = this.csv.devices.length;
        this.t.note(
            [
                "3. Apply. The plan was just shown, so the update starts at once (--skip-preview). Between pulumi's",
                "   lines, '# Graph now:' lines say what the emulator holds: imports pending, then complete, then the",
                "   devices tagged, named and given their user; the Sales-tagged ones get the profile assigned to the Sales group.",
            ].join("\n"),
        );
        this.emu.clearRequests();
        let mostPending = 0;
        const result = await this.shell().run(["up", "--yes", "--skip-preview"], {
            progress: {
                everyMs: 500,
                line: () => {
                    const counts = fleet.counts();
                    mostPending = Math.max(mostPending, (counts.imports.pending ?? 0) + (counts.imports.unknown ?? 0));
                    return `Graph now: ${FleetInGraph.describe(counts, total)}`;
                },
            },
        });
        const counts = fleet.counts();
        this.t.note(`Graph now: ${FleetInGraph.describe(counts, total)}`);
        this.t.check(result.code === 0, `pulumi up succeeded (exit code ${result.code}; ${resourceSummary(result.output)})`);
        this.t.check(
            mostPending > 0 && counts.imports.complete === total,
            `imports went from pending (up to ${mostPending} at once) to complete: ${counts.imports.complete ?? 0} of ${total}`,
        );
        this.t.check(
            counts.configured === total,
            `${counts.configured} of ${total} devices have the group tag, name and user their row and the defaults ask for`,
        );
        const salesTagged = fleet.devices().filter((d) => d.groupTag === PROFILE.groupTag).length;
        this.t.check(
            salesTagged > 0 && counts.withProfile === salesTagged,
            `${counts.withProfile} of the ${salesTagged} devices tagged ${PROFILE.groupTag} have the profile "${PROFILE.name}" (its assignment targets the group that tag fills; the others carry another tag)`,
        );

        this.t.line();
        this.t.note("The fleet in Graph now (the emulator's tenant):");
        const rows = fleet
            .devices()
            .sort((a, b) => a.serialNumber.localeCompare(b.serialNumber))
            .map((d) => [d.serialNumber, d.importStatus, d.deviceId, d.groupTag, d.displayName, d.userPrincipalName, d.profile]);
        table(["serial", "import", "Autopilot device id", "group tag", "name", "user", "profile"], rows).forEach((l) => this.t.line(l));
        this.t.line();
        this.t.note(`${this.emu.requests.length} Graph requests during pulumi up, by route:`);
        requestsByRoute(this.emu.requests).forEach((l) => this.t.note(l));
    }

    private async applyAgain(): Promise<void> {
        this.t.note("4. Run it again: nothing changed, so there is nothing to do and no Graph request.");
        this.t.note("   (--expect-no-changes makes pulumi itself fail the command if anything would change.)");
        this.emu.clearRequests();
        const result = await this.shell().run(["up", "--yes", "--expect-no-changes"]);
        const summaries = resourceSummaries(result.output);
        this.t.check(
            result.code === 0 && summaries.length === 2 && summaries.every((s) => /^\d+ unchanged$/.test(s)),
            `pulumi up changed nothing: its preview and its update each report "${summaries.join('", "')}" (exit code ${result.code})`,
        );
        this.t.check(this.emu.requests.length === 0, `${this.emu.requests.length} Graph request(s)`);
    }

    private async exportState(): Promise<void> {
        this.t.note("5. What only a real engine shows: the state it wrote, as anyone who can read the backend sees it.");
        const exported = path.join(this.dir, "state.json");
        await this.must(["stack", "export", "--file", "state.json"]);
        const secrets: KnownSecrets = { hardwareHashes: this.csv.hardwareHashes, productKeys: this.csv.productKeys, accessToken: DEFAULT_TOKEN };
        const report = auditState(fs.readFileSync(exported, "utf8"), secrets);
        const total = this.csv.devices.length;
        const keys =
            secrets.productKeys.length === 0
                ? "none to find (the CSV's Windows Product ID column is empty)"
                : `${report.productKeysInPlainText} of the CSV's ${secrets.productKeys.length} in plain text`;
        this.t.note(
            `state: ${bytes(report.bytes)}, ${report.resources} resources: ${report.autopilotResources} Autopilot objects and ${report.otherTypes.join(", ")}`,
        );
        this.t.note(
            `  hardware hashes: ${report.hashesSealed} in the state, each as ciphertext; ${report.hashesInPlainText} of the CSV's ${secrets.hardwareHashes.length} in plain text`,
        );
        this.t.note(`  product keys: ${keys}`);
        this.t.note(`  access token: ${report.tokenInPlainText ? "PRESENT in plain text" : "not present"}`);
        this.t.check(report.autopilotResources === 2 * total + 1, `the state holds the ${report.autopilotResources} Autopilot objects pulumi up created`);
        this.t.check(
            report.hashesSealed === total && report.hashesInPlainText === 0 && report.productKeysInPlainText === 0 && !report.tokenInPlainText,
            "no hardware hash, product key or token in plain text in pulumi stack export",
        );
        // The backend's file is what sits on disk (or in a bucket) for anyone with access to it.
        const project = this.projectName();
        const stored = auditState(fs.readFileSync(this.sandbox.stateFile(project, STACK), "utf8"), secrets);
        this.t.check(
            stored.hashesInPlainText === 0 && stored.productKeysInPlainText === 0 && !stored.tokenInPlainText,
            `nor in the backend's own file (.pulumi/stacks/${project}/${STACK}.json, ${bytes(stored.bytes)})`,
        );
        const stackConfig = fs.readFileSync(path.join(this.dir, `Pulumi.${STACK}.yaml`), "utf8");
        this.t.check(
            !stackConfig.includes(DEFAULT_TOKEN) && /accessToken:\s*\n\s*secure: v1:/.test(stackConfig),
            `Pulumi.${STACK}.yaml holds the token only as ciphertext (secure: v1:...)`,
        );
    }

    private projectName(): string {
        const m = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(this.dir, "Pulumi.yaml"), "utf8"));
        if (!m) throw new Error("Pulumi.yaml has no name");
        return m[1];
    }
}

async function main(): Promise<number> {
    const csv = readFleetCsv(path.join(EXAMPLE, "devices.csv"), EXAMPLE_DEFAULTS);
    const sandbox = new PulumiSandbox("autopilot-demo-passphrase");
    const emu = await startEmulator({ profile: "live", importPendingReads: 2 });
    const dir = copyProject(EXAMPLE);
    const demo = new FleetDemo(emu, sandbox, dir, csv);
    // Ctrl-C reaches the running pulumi as well (same process group); the demo stops after it and cleans up.
    process.on("SIGINT", () => demo.interrupt());
    try {
        return await demo.run();
    } catch (e) {
        process.stdout.write(`# stopped: ${(e as Error).message}\n`);
        return (e as Error).message === "interrupted" ? 130 : 1;
    } finally {
        await emu.close();
        sandbox.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
