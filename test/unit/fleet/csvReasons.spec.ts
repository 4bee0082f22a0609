// Reasons a person can read: non-ASCII letters named as what they are, invisible characters shown,
// and one problem per bad row.
import * as assert from "assert";
import { formatProblems, parseHardwareHashCsv } from "../../../provider/fleet/csv";

const HEADER = "Device Serial Number,Windows Product ID,Hardware Hash\n";
const hash = (fill: number) => Buffer.alloc(4000, fill).toString("base64");

describe("CSV reasons", () => {
    it('names "Ä" as the character it is (a letter Autopilot does not take), with its code point', () => {
        const { problems } = parseHardwareHashCsv(`${HEADER}SERÄ1,,${hash(1)}\n`);
        assert.strictEqual(problems.length, 1);
        assert.match(problems[0].reason, /"Ä" \(U\+00C4\) at position 4 is not allowed/);
        assert.doesNotMatch(problems[0].reason, /use letters/, "Ä is a letter: the reason must not say letters are allowed");
    });

    it("shows an invisible character (a zero-width space) visibly", () => {
        const { problems } = parseHardwareHashCsv(`${HEADER}SER\u200b2,,${hash(2)}\n`);
        const text = formatProblems(problems);
        assert.match(text, /"SER<U\+200B>2"/);
        assert.ok(!text.includes("\u200b"), "the message itself holds no invisible character");
    });

    it("one damaged hash repeated on 12 rows gives 12 problems, one per row", () => {
        const bad = "abc!" + hash(3).slice(4);
        const rows = Array.from({ length: 12 }, (_, i) => `X${i},,${bad}`).join("\n");
        const { problems, rows: good } = parseHardwareHashCsv(`${HEADER}${rows}\n`);
        assert.strictEqual(good.length, 0);
        assert.strictEqual(problems.length, 12, formatProblems(problems));
        assert.deepStrictEqual(new Set(problems.map((p) => p.line)).size, 12);
    });

    it("still reports a valid hash listed twice", () => {
        const { problems } = parseHardwareHashCsv(`${HEADER}A1,,${hash(4)}\nA2,,${hash(4)}\n`);
        assert.deepStrictEqual(
            problems.map((p) => [p.line, p.reason]),
            [[3, "is the same hardware hash as line 2"]],
        );
    });

    it("an unknown header name with an invisible character shows it", () => {
        const { problems } = parseHardwareHashCsv(`Device Serial Number,Hardware Hash,Gro\u200bup Tag\nA1,${hash(5)},x\n`);
        assert.ok(
            problems.some((p) => p.reason.includes("Gro<U+200B>up Tag")),
            formatProblems(problems),
        );
    });
});
