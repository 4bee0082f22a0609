"use strict";
// Mocha's spec reporter, and the failed and the retried tests' titles and first lines of their
// errors written to the file that TEST_FAILURES_FILE names (a retried test is also said at once: a
// retry must stay visible, it is not a pass). A test runs once more after a failure (.mocharc.json
// retries: 1) because the Automation API's inline-program transport loses a run now and then on a
// loaded machine (test/pulumi/stack.ts says which ways it re-runs a command itself). The test matrix prints those lists again after its last
// row: a CI log shows only its tail, and the rows run for twenty minutes each, so the failures of
// an early row would otherwise scroll out of sight.
const fs = require("fs");
const Mocha = require("mocha");

const { EVENT_TEST_FAIL, EVENT_TEST_RETRY, EVENT_RUN_END } = Mocha.Runner.constants;
const MAX_MESSAGE_CHARS = 400;

class SpecWithFailureList extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const file = process.env.TEST_FAILURES_FILE;
        if (!file) return;
        const failures = [];
        const entry = (kind, test, err) => ({
            kind,
            title: test.fullTitle(),
            file: test.file ? require("path").relative(process.cwd(), test.file) : undefined,
            message: String((err && err.message) || err)
                .split("\n")
                .slice(0, 4)
                .join(" | ")
                .slice(0, MAX_MESSAGE_CHARS),
        });
        runner.on(EVENT_TEST_FAIL, (test, err) => failures.push(entry("failed", test, err)));
        runner.on(EVENT_TEST_RETRY, (test, err) => {
            const retried = entry("retried", test, err);
            failures.push(retried);
            process.stdout.write(`    (failed once, running it again: ${retried.title}: ${retried.message})\n`);
        });
        runner.once(EVENT_RUN_END, () => fs.writeFileSync(file, JSON.stringify(failures, null, 1)));
    }
}

module.exports = SpecWithFailureList;
