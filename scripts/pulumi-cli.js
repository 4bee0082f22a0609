#!/usr/bin/env node
// Makes the Pulumi CLI that the tests, the demo and the bench run available, and records where it
// is in .pulumi-cli/current.json.
//
// The version is the one of the installed @pulumi/pulumi (the SDK the tests use) unless
// --version says otherwise. A `pulumi` on PATH of that version or newer (same major) is used as
// it is, with the language host and the dynamic-provider plugin beside it, as Pulumi installs
// them. Otherwise the CLI is built from Pulumi's Go modules (tools/pulumi-cli/v<version>), with
// Pulumi's Node.js language host (tools/pulumi-cli/language-nodejs) and our
// pulumi-resource-pulumi-nodejs script, into .pulumi-cli/v<version>/bin. A build that is already
// there, made from the same go.mod and go.sum files, is kept.
//
//   node scripts/pulumi-cli.js [--version 3.248.0] [--build] [--no-record]
//     --build: ignore a pulumi on PATH; --no-record: leave .pulumi-cli/current.json as it is (a
//     second CLI that a test runs beside the current one, see scripts/test-matrix.js)
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const TOOLS = path.join(ROOT, "tools", "pulumi-cli");
const OUT = path.join(ROOT, ".pulumi-cli");
const say = (line) => process.stdout.write(`[pulumi-cli] ${line}\n`);

function fail(message) {
    process.stderr.write(`[pulumi-cli] ${message}\n`);
    process.exit(1);
}

function parseArgs(argv) {
    const args = { version: undefined, build: false, record: true };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--version") args.version = argv[++i];
        else if (argv[i] === "--build") args.build = true;
        else if (argv[i] === "--no-record") args.record = false;
        else fail(`unknown argument ${argv[i]} (allowed: --version <x.y.z>, --build, --no-record)`);
    }
    return args;
}

function sdkVersion() {
    try {
        return require(require.resolve("@pulumi/pulumi/package.json", { paths: [ROOT] })).version;
    } catch {
        fail("@pulumi/pulumi is not installed: run npm ci first");
    }
}

/** [major, minor, patch] of "v3.248.0" or "3.248.0"; undefined for anything else. */
function parseVersion(text) {
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(text).trim());
    return m ? m.slice(1, 4).map(Number) : undefined;
}

function atLeast(have, want) {
    for (let i = 0; i < 3; i++) {
        if (have[i] !== want[i]) return have[i] > want[i];
    }
    return true;
}

function pulumiVersionOf(bin) {
    try {
        return execFileSync(bin, ["version"], {
            encoding: "utf8",
            env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
            stdio: ["ignore", "pipe", "ignore"],
        }).trim();
    } catch {
        return undefined;
    }
}

/** A `pulumi` on PATH that can run the tests: this version or newer of the same major, with its language host and plugin. */
function pulumiOnPath(want) {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (!dir || path.resolve(dir).startsWith(OUT)) continue;
        const bin = path.join(dir, "pulumi");
        if (!fs.existsSync(bin)) continue;
        const version = parseVersion(pulumiVersionOf(bin) ?? "");
        const siblings = ["pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"].every((f) => fs.existsSync(path.join(dir, f)));
        if (version && version[0] === want[0] && atLeast(version, want) && siblings) {
            return { binDir: dir, version: version.join(".") };
        }
        say(
            `${bin} (${version ? version.join(".") : "version unknown"}) is not used: this needs ${want.join(".")} or newer of v${want[0]}, with pulumi-language-nodejs and pulumi-resource-pulumi-nodejs beside it`,
        );
        return undefined;
    }
    return undefined;
}

/**
 * The linker flags of Pulumi's release build: stripped, and with the version string that
 * `pulumi version` prints and the Automation API parses. The CLI reads it from
 * sdk/v3/go/common/version in recent releases and from pkg/v3/version in older ones; the linker
 * ignores a -X for a variable the binary does not have, so both are set.
 */
function cliLdflags(version) {
    const variables = ["github.com/pulumi/pulumi/sdk/v3/go/common/version.Version", "github.com/pulumi/pulumi/pkg/v3/version.Version"];
    return ["-s", "-w", ...variables.map((v) => `-X ${v}=v${version}`)].join(" ");
}

/** A digest of what a build is made from, so a changed go.mod, shim or linker flags mean a new build. */
function recipeDigest(moduleDirs, shim, ldflags) {
    const hash = crypto.createHash("sha256");
    hash.update(ldflags);
    for (const dir of moduleDirs) {
        for (const f of ["go.mod", "go.sum"]) hash.update(fs.readFileSync(path.join(dir, f)));
    }
    hash.update(fs.readFileSync(shim));
    return hash.digest("hex");
}

function goBuild(moduleDir, pkg, output, ldflags) {
    const args = ["build", "-mod=readonly", "-trimpath", "-tags", "osusergo,grpcnotrace", "-ldflags", ldflags, "-o", output, pkg];
    const res = spawnSync("go", args, { cwd: moduleDir, stdio: "inherit", env: { ...process.env, CGO_ENABLED: "0" } });
    if (res.error) fail(`could not run go (${res.error.message}): install Go 1.25 or later, or put a pulumi CLI of this version or newer on PATH`);
    if (res.status !== 0) fail(`go build ${pkg} failed (exit ${res.status})`);
}

function build(version) {
    const cliModule = path.join(TOOLS, `v${version}`);
    if (!fs.existsSync(path.join(cliModule, "go.mod"))) {
        const known = fs.readdirSync(TOOLS).filter((d) => /^v\d/.test(d));
        fail(`no Go module for Pulumi CLI v${version} under tools/pulumi-cli (there are: ${known.join(", ")})`);
    }
    const hostModule = path.join(TOOLS, "language-nodejs");
    const shim = path.join(TOOLS, "pulumi-resource-pulumi-nodejs");
    const binDir = path.join(OUT, `v${version}`, "bin");
    const stamp = path.join(OUT, `v${version}`, "recipe.sha256");
    const digest = recipeDigest([cliModule, hostModule], shim, cliLdflags(version));
    const pulumi = path.join(binDir, "pulumi");
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest && pulumiVersionOf(pulumi) === `v${version}`) {
        say(`Pulumi CLI v${version} already built in ${path.relative(ROOT, binDir)}`);
        return binDir;
    }
    say(`building Pulumi CLI v${version} from Go modules into ${path.relative(ROOT, binDir)}`);
    say("a cold build downloads about 600 Go modules and compiles for several minutes (3 to 10 on 2 cores); later builds reuse Go's caches");
    const started = Date.now();
    fs.rmSync(path.join(OUT, `v${version}`), { recursive: true, force: true });
    fs.mkdirSync(binDir, { recursive: true });
    // As Pulumi's release build: static, trimmed, and with the version the Automation API parses.
    goBuild(cliModule, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", pulumi, cliLdflags(version));
    say(`pulumi built (${((Date.now() - started) / 1000).toFixed(0)} s); building the Node.js language host`);
    goBuild(hostModule, "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs", path.join(binDir, "pulumi-language-nodejs"), "-s -w");
    fs.copyFileSync(shim, path.join(binDir, "pulumi-resource-pulumi-nodejs"));
    fs.chmodSync(path.join(binDir, "pulumi-resource-pulumi-nodejs"), 0o755);
    const printed = pulumiVersionOf(pulumi);
    if (printed !== `v${version}`) fail(`the built pulumi prints version ${JSON.stringify(printed)}, expected v${version}`);
    fs.writeFileSync(stamp, digest);
    say(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return binDir;
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    const version = args.version ?? sdkVersion();
    const want = parseVersion(version);
    if (!want) fail(`--version must look like 3.248.0, got ${JSON.stringify(version)}`);
    let chosen = args.build ? undefined : pulumiOnPath(want);
    if (chosen) {
        say(`using pulumi ${chosen.version} from PATH (${chosen.binDir})`);
        chosen.source = "path";
    } else {
        chosen = { binDir: build(want.join(".")), version: want.join("."), source: "built" };
    }
    if (!args.record) return;
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, "current.json"), JSON.stringify({ ...chosen, sdkVersion: sdkVersion() }, null, 2) + "\n");
}

main();
