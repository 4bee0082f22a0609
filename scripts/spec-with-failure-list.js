"use strict";
// Mocha's spec reporter, and the failed tests' titles and first lines of their errors written to
// the file that TEST_FAILURES_FILE names. The test matrix prints those lists again after its last
// row: a CI log shows only its tail, and the rows run for twenty minutes each, so the failures of
// an early row would otherwise scroll out of sight.
const fs = require("fs");
const Mocha = require("mocha");

const { EVENT_TEST_FAIL, EVENT_RUN_END } = Mocha.Runner.constants;
const MAX_MESSAGE_CHARS = 400;

class SpecWithFailureList extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const file = process.env.TEST_FAILURES_FILE;
        if (!file) return;
        const failures = [];
        runner.on(EVENT_TEST_FAIL, (test, err) => {
            const message = String((err && err.message) || err)
                .split("\n")
                .slice(0, 4)
                .join(" | ");
            failures.push({
                title: test.fullTitle(),
                file: test.file ? require("path").relative(process.cwd(), test.file) : undefined,
                message: message.slice(0, MAX_MESSAGE_CHARS),
            });
        });
        runner.once(EVENT_RUN_END, () => fs.writeFileSync(file, JSON.stringify(failures, null, 1)));
    }
}

module.exports = SpecWithFailureList;
