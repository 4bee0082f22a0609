#!/usr/bin/env node
// The test matrix CI runs: each row is a Node.js major, an exact @pulumi/pulumi and the Pulumi CLI
// of the same version, and the tests that run there.
//
//   npm run test:matrix -- <row> [<row> ...]      rows: a, b, c (or their names), or all
//   npm run test:matrix -- --list                 what each row runs
//   npm run test:matrix -- b --spec <file>        a row's toolchain, but only these spec files
//
// For each row, in order: the row's Node first on PATH (scripts/with-node.js), its @pulumi/pulumi
// installed with `npm install --no-save` when node_modules holds another one (the lockfile is not
// touched), its CLI built or found (scripts/pulumi-cli.js --build: exactly that version, not a
// newer one on PATH), the package compiled against that SDK's types, then mocha on the row's specs.
// Afterwards node_modules gets the lockfile's @pulumi/pulumi back. Each row's time is printed.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { nodeBinDir } = require("./with-node");

const ROOT = path.resolve(__dirname, "..");
const say = (line) => process.stdout.write(`[test-matrix] ${line}\n`);

/**
 * The rows. The floor is the oldest @pulumi/pulumi the package supports (package.json's range
 * starts there, and the lockfile pins it, so `npm test` is row a): 3.216.0 is the first whose
 * dynamic-provider host passes on the inputs `read` returns, which `pulumi refresh` records and
 * `ignoreChanges` is applied with (test/integration/refreshInputs.spec.ts); `configure()` with
 * the stack config came in 3.139.0. The current release needs Node.js 22 or later.
 */
const ROWS = {
    a: {
        name: "floor",
        title: "Node.js 20, the oldest supported SDK and its CLI: the whole suite (what `npm test` runs)",
        node: "20",
        pulumi: "3.216.0",
        specs: ["test/**/*.spec.ts"],
    },
    b: {
        name: "current",
        title: "Node.js 22, the current SDK and CLI: the whole suite, and a stack made under row a carried on here",
        node: "22",
        pulumi: "3.276.0",
        specs: ["test/**/*.spec.ts", "test/matrix/*.matrix.ts"],
        // The stack the upgrade test starts from is made by row a's CLI and Node.
        alsoCli: ["3.216.0"],
    },
    c: {
        name: "node24",
        title: "Node.js 24, the current SDK and CLI: the unit tests, every example, and the package installed outside the repository",
        node: "24",
        pulumi: "3.276.0",
        specs: ["test/unit/**/*.spec.ts", "test/integration/examples.spec.ts", "test/package/*.spec.ts"],
    },
};

class MatrixError extends Error {}

function fail(message) {
    throw new MatrixError(message);
}

function rowOf(key) {
    if (ROWS[key]) return key;
    const byName = Object.keys(ROWS).find((k) => ROWS[k].name === key);
    if (!byName)
        fail(
            `unknown row ${JSON.stringify(key)} (rows: ${Object.entries(ROWS)
                .map(([k, r]) => `${k} (${r.name})`)
                .join(", ")}, or all)`,
        );
    return byName;
}

/** Runs a command with the row's Node first on PATH; a failure ends the run with its exit code. */
function run(binDir, command, args, extraEnv = {}) {
    say(`$ ${[command, ...args].join(" ")}`);
    const res = spawnSync(command, args, {
        cwd: ROOT,
        stdio: "inherit",
        env: { ...process.env, ...extraEnv, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` },
    });
    if (res.error) fail(`could not run ${command}: ${res.error.message}`);
    return res.status ?? 1;
}

function must(binDir, command, args) {
    const status = run(binDir, command, args);
    if (status !== 0) fail(`${command} ${args.join(" ")} failed (exit ${status})`);
}

function installedSdk() {
    try {
        return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")).version;
    } catch {
        fail("@pulumi/pulumi is not installed: run npm ci first");
    }
}

function lockedSdk() {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    return lock.packages["node_modules/@pulumi/pulumi"].version;
}

/**
 * Puts this exact @pulumi/pulumi into node_modules without touching package.json or the lockfile.
 * npm prunes what the lockfile does not list, the link of the package to itself among them, so
 * scripts/link-self.js puts it back (the programs and the provider's host require it by name).
 */
function useSdk(binDir, version) {
    if (installedSdk() === version) return;
    must(binDir, "npm", ["install", "--no-save", "--no-audit", "--no-fund", `@pulumi/pulumi@${version}`]);
    must(binDir, process.execPath, [path.join(ROOT, "scripts", "link-self.js")]);
    if (installedSdk() !== version) fail(`node_modules holds @pulumi/pulumi ${installedSdk()} after installing ${version}`);
}

/**
 * .mocharc.json's settings as command-line options, without its `spec`: mocha adds the spec of its
 * config file to the files named on the command line, so a row's files are given with --no-config.
 */
function mochaOptions() {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, ".mocharc.json"), "utf8"));
    const options = ["--no-config"];
    for (const [key, value] of Object.entries(config)) {
        if (key === "spec") continue;
        for (const v of Array.isArray(value) ? value : [value]) {
            if (v === true) options.push(`--${key}`);
            else if (v === false) options.push(`--no-${key}`);
            else options.push(`--${key}`, String(v));
        }
    }
    return options;
}

function runRow(key, specs) {
    const row = ROWS[key];
    const started = Date.now();
    say(`row ${key} (${row.name}): ${row.title}`);
    const binDir = nodeBinDir(row.node);
    useSdk(binDir, row.pulumi);
    for (const version of row.alsoCli ?? []) {
        must(binDir, "node", ["scripts/pulumi-cli.js", "--version", version, "--build", "--no-record"]);
    }
    must(binDir, "node", ["scripts/pulumi-cli.js", "--version", row.pulumi, "--build"]);
    must(binDir, "node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"]);
    const reporter = ["--reporter", path.join(__dirname, "spec-with-failure-list.js")];
    const mocha = ["node_modules/mocha/bin/mocha.js", ...mochaOptions(), ...reporter, ...(specs.length ? specs : row.specs)];
    const failuresFile = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "test-matrix-")), "failures.json");
    const status = run(binDir, "node", mocha, { TEST_FAILURES_FILE: failuresFile });
    return { key, status, seconds: (Date.now() - started) / 1000, failures: readFailures(failuresFile) };
}

/** The failures the row's reporter wrote; none when mocha ended before writing them (it says why above). */
function readFailures(file) {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
        return [];
    } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
}

function main() {
    const argv = process.argv.slice(2);
    if (argv.includes("--list")) {
        for (const [k, r] of Object.entries(ROWS)) {
            process.stdout.write(
                `${k} (${r.name}): Node ${r.node}, @pulumi/pulumi ${r.pulumi}, CLI ${r.pulumi}${r.alsoCli ? ` (and CLI ${r.alsoCli.join(", ")})` : ""}\n  ${r.title}\n  specs: ${r.specs.join(" ")}\n`,
            );
        }
        return 0;
    }
    const specs = [];
    const rowArgs = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--spec") {
            if (!argv[i + 1]) fail("--spec needs a spec file or glob");
            specs.push(argv[++i]);
        } else rowArgs.push(argv[i]);
    }
    if (rowArgs.length === 0) fail("usage: npm run test:matrix -- <row> [<row> ...] | all | --list [--spec <file> ...]");
    const keys = rowArgs.includes("all") ? Object.keys(ROWS) : rowArgs.map(rowOf);
    const results = [];
    try {
        for (const key of keys) {
            const result = runRow(key, specs);
            results.push(result);
            say(
                `row ${key} (${ROWS[key].name}): ${result.status === 0 ? "passed" : `FAILED (exit ${result.status})`} in ${(result.seconds / 60).toFixed(1)} min`,
            );
        }
    } finally {
        const locked = lockedSdk();
        if (installedSdk() !== locked) {
            say(`putting the lockfile's @pulumi/pulumi ${locked} back into node_modules`);
            useSdk(path.dirname(process.execPath), locked);
            // The CLI the tests run follows the SDK: \`npm test\` records it again.
            fs.rmSync(path.join(ROOT, ".pulumi-cli", "current.json"), { force: true });
        }
    }
    for (const r of results) {
        say(`${r.key} (${ROWS[r.key].name}): ${r.status === 0 ? "passed" : "FAILED"}, ${(r.seconds / 60).toFixed(1)} min`);
        for (const f of r.failures) say(`  ${f.kind}: ${f.title}${f.file ? ` (${f.file})` : ""}\n      ${f.message}`);
    }
    return results.every((r) => r.status === 0) ? 0 : 1;
}

module.exports = { ROWS };

if (require.main === module) {
    try {
        process.exitCode = main();
    } catch (e) {
        if (!(e instanceof MatrixError)) throw e;
        process.stderr.write(`[test-matrix] ${e.message}\n`);
        process.exitCode = 2;
    }
}
