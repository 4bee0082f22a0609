import { strict as assert } from "node:assert";
import { readdirSync, readFileSync, statSync } from "fs";
import * as path from "path";
import { readmeSettings, README, settingsMarkdown, withSettingsTable } from "../../../scripts/settingsDoc";
import { resolveSettings, SETTINGS } from "../../../provider/settings";
import { STEP_TIMEOUT_BASE_SECONDS, TUNING_SETTINGS } from "../../../provider/settings/table";

const none = (): undefined => undefined;
const from = (values: Record<string, string>) => (key: string) => values[key];

describe("settings (provider/settings)", () => {
    it("defaults: every tuning value and the sign-in default when nothing is set", () => {
        const { auth, ...tuning } = resolveSettings(none, {});
        assert.deepStrictEqual(tuning, {
            maxConcurrency: 8,
            maxRetries: 8,
            timeoutSeconds: 100,
            stepTimeoutSeconds: 0,
            consistencyTimeoutSeconds: 60,
            batch: true,
            adaptive: true,
            bulkImport: true,
            bulkImportChunk: 100,
            listReads: true,
            importPollMs: 2000,
            handleSignals: undefined,
            log: false,
        });
        assert.deepStrictEqual(auth, {
            cloud: "global",
            graphBaseUrl: "https://graph.microsoft.com",
            authorityHost: "https://login.microsoftonline.com",
            customAuthority: false,
            credential: "default",
            credentialSource: "none",
        });
    });

    it("each setting comes from its environment variable when stack config does not set it", () => {
        const env = {
            AUTOPILOT_MAX_CONCURRENCY: "3",
            AUTOPILOT_MAX_RETRIES: "0",
            AUTOPILOT_TIMEOUT_SECONDS: "30",
            AUTOPILOT_STEP_TIMEOUT_SECONDS: "900",
            AUTOPILOT_CONSISTENCY_TIMEOUT_SECONDS: "5",
            AUTOPILOT_BATCH: "0",
            AUTOPILOT_ADAPTIVE: "false",
            AUTOPILOT_BULK_IMPORT: "no",
            AUTOPILOT_BULK_IMPORT_CHUNK: "25",
            AUTOPILOT_LIST_READS: "off",
            AUTOPILOT_IMPORT_POLL_MS: "50",
            AUTOPILOT_HANDLE_SIGNALS: "1",
            AUTOPILOT_LOG: "1",
            AUTOPILOT_CLOUD: "usgov",
        };
        const { auth, ...tuning } = resolveSettings(none, env);
        assert.deepStrictEqual(tuning, {
            maxConcurrency: 3,
            maxRetries: 0,
            timeoutSeconds: 30,
            stepTimeoutSeconds: 900,
            consistencyTimeoutSeconds: 5,
            batch: false,
            adaptive: false,
            bulkImport: false,
            bulkImportChunk: 25,
            listReads: false,
            importPollMs: 50,
            handleSignals: true,
            log: true,
        });
        assert.strictEqual(auth.cloud, "usgov");
        // Every tuning setting was set above: the table has no row this test forgot.
        assert.deepStrictEqual(
            Object.values(TUNING_SETTINGS)
                .map((s) => s.env)
                .filter((v) => !(v in env)),
            [],
        );
    });

    it("stack config wins over the environment; an empty value counts as not set", () => {
        const env = { AUTOPILOT_MAX_RETRIES: "3", AUTOPILOT_LIST_READS: "0", AUTOPILOT_LOG: "1" };
        const s = resolveSettings(from({ "autopilot:maxRetries": "12", "autopilot:listReads": "true", "autopilot:log": " " }), env);
        assert.strictEqual(s.maxRetries, 12);
        assert.strictEqual(s.listReads, true);
        assert.strictEqual(s.log, true, "an empty config value falls back to AUTOPILOT_LOG");
        // A bad variable under a good config value is never read.
        assert.strictEqual(resolveSettings(from({ "autopilot:batch": "false" }), { AUTOPILOT_BATCH: "sometimes" }).batch, false);
    });

    it("reads the environment when resolved, not when the module loaded", () => {
        const saved = process.env.AUTOPILOT_IMPORT_POLL_MS;
        process.env.AUTOPILOT_IMPORT_POLL_MS = "7";
        try {
            assert.strictEqual(resolveSettings(none).importPollMs, 7);
        } finally {
            if (saved === undefined) delete process.env.AUTOPILOT_IMPORT_POLL_MS;
            else process.env.AUTOPILOT_IMPORT_POLL_MS = saved;
        }
    });

    it("refuses a value that is not allowed, naming the key, its variable and what is allowed", () => {
        const refuses = (values: Record<string, string>, env: NodeJS.ProcessEnv, message: string) =>
            assert.throws(
                () => resolveSettings(from(values), env),
                (e: Error) => (assert.strictEqual(e.message, message), true),
            );
        refuses({ "autopilot:maxRetries": "x" }, {}, 'autopilot:maxRetries (or AUTOPILOT_MAX_RETRIES) must be a whole number of at least 0; got "x"');
        refuses({ "autopilot:maxRetries": "-1" }, {}, 'autopilot:maxRetries (or AUTOPILOT_MAX_RETRIES) must be a whole number of at least 0; got "-1"');
        refuses(
            {},
            { AUTOPILOT_TIMEOUT_SECONDS: "1.5" },
            'autopilot:timeoutSeconds (or AUTOPILOT_TIMEOUT_SECONDS) must be a whole number of at least 1; got "1.5"',
        );
        refuses(
            { "autopilot:maxConcurrency": "0" },
            {},
            'autopilot:maxConcurrency (or AUTOPILOT_MAX_CONCURRENCY) must be a whole number of at least 1; got "0"',
        );
        refuses({}, { AUTOPILOT_IMPORT_POLL_MS: "0" }, 'autopilot:importPollMs (or AUTOPILOT_IMPORT_POLL_MS) must be a whole number of at least 1; got "0"');
        refuses(
            {},
            { AUTOPILOT_BULK_IMPORT_CHUNK: "lots" },
            'autopilot:bulkImportChunk (or AUTOPILOT_BULK_IMPORT_CHUNK) must be a whole number of at least 1; got "lots"',
        );
        refuses({ "autopilot:batch": "maybe" }, {}, 'autopilot:batch (or AUTOPILOT_BATCH) must be true or false; got "maybe"');
        refuses({}, { AUTOPILOT_LOG: "verbose" }, 'autopilot:log (or AUTOPILOT_LOG) must be true or false; got "verbose"');
        refuses({}, { AUTOPILOT_HANDLE_SIGNALS: "2" }, 'autopilot:handleSignals (or AUTOPILOT_HANDLE_SIGNALS) must be true or false; got "2"');
        refuses({ "autopilot:cloud": "mars" }, {}, 'autopilot:cloud (or AUTOPILOT_CLOUD) must be one of global, usgov, usgovdod, china; got "mars"');
    });

    it("the table: keys in the autopilot namespace, one variable each, no key or variable twice, a line for the README", () => {
        const rows = Object.values(SETTINGS);
        assert.ok(
            rows.every((s) => /^autopilot:[a-z][A-Za-z]+$/.test(s.key) && /^[A-Z][A-Z_]+$/.test(s.env) && s.description.length > 10),
            "malformed row",
        );
        assert.strictEqual(new Set(rows.map((s) => s.key)).size, rows.length);
        assert.strictEqual(new Set(rows.map((s) => s.env)).size, rows.length);
        assert.deepStrictEqual(
            rows.filter((s) => s.secret).map((s) => s.key),
            ["autopilot:accessToken", "autopilot:clientSecret", "autopilot:clientCertificatePassword"],
        );
        // A secret is never refused, so no error can repeat it.
        for (const s of rows.filter((r) => r.secret)) assert.doesNotThrow(() => s.parse("not:a/valid value of any kind", s.key));
    });

    it("README.md's configuration table is the one the settings table generates (npm run docs:settings)", () => {
        const readme = readFileSync(README, "utf8");
        assert.strictEqual(readmeSettings(readme), settingsMarkdown(), "README.md's settings table is out of date: run `npm run docs:settings`");
        assert.strictEqual(withSettingsTable(readme), readme);
        for (const s of Object.values(SETTINGS)) assert.ok(readmeSettings(readme).includes(`| \`${s.key}\``), s.key);
    });

    it("README.md's table of bounds gives the defaults the settings table has", () => {
        const readme = readFileSync(README, "utf8");
        const bounds = readme.slice(readme.indexOf("**Bounds**"), readme.indexOf("**Cancel,"));
        const rows = [...bounds.matchAll(/^\| `autopilot:(\w+)` \| [^|]+ \| (\d+)/gm)].map((m) => [m[1], Number(m[2])]);
        assert.deepStrictEqual(rows, [
            ["timeoutSeconds", TUNING_SETTINGS.timeoutSeconds.default],
            ["maxRetries", TUNING_SETTINGS.maxRetries.default],
            ["consistencyTimeoutSeconds", TUNING_SETTINGS.consistencyTimeoutSeconds.default],
            // 0 means derived: the base the derived bound starts from.
            ["stepTimeoutSeconds", STEP_TIMEOUT_BASE_SECONDS],
        ]);
    });

    it("the runtime makes its session and Graph client from the resolved settings: refused values fail, a changed switch gets a new one", async function () {
        this.timeout(60_000); // loading the runtime loads every resource spec and @pulumi/pulumi
        const { sessionFor } = require("../../../provider/runtime");
        const base = { "autopilot:graphEndpoint": "http://127.0.0.1:9", "autopilot:accessToken": "token" };
        assert.throws(
            () => sessionFor(from({ ...base, "autopilot:maxConcurrency": "0" })),
            /^Error: autopilot:maxConcurrency \(or AUTOPILOT_MAX_CONCURRENCY\) must be a whole number of at least 1; got "0"$/,
        );
        const first = sessionFor(from(base));
        assert.strictEqual(sessionFor(from({ ...base })), first, "the same settings keep the session");
        const unbatched = sessionFor(from({ ...base, "autopilot:batch": "false" }));
        assert.notStrictEqual(unbatched, first);
        assert.notStrictEqual(unbatched.graph, first.graph, "another client");
        assert.strictEqual(unbatched.context().settings.batch, false, "the steps run under the new settings");
        await unbatched.close();
    });

    it("no provider module reads the environment but the settings' resolution", () => {
        const root = path.join(__dirname, "..", "..", "..", "provider");
        const files = (dir: string): string[] =>
            readdirSync(dir).flatMap((name) => {
                const full = path.join(dir, name);
                return statSync(full).isDirectory() ? files(full) : full.endsWith(".ts") ? [full] : [];
            });
        const readers = files(root)
            .filter((f) => /process\.env/.test(readFileSync(f, "utf8")))
            .map((f) => path.relative(root, f).split(path.sep).join("/"))
            .sort();
        // Both take the environment as a parameter whose default is process.env.
        assert.deepStrictEqual(readers, ["auth/config.ts", "settings/index.ts"]);
    });
});
