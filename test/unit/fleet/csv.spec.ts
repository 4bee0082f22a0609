import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
    CsvProblem,
    formatProblems,
    HardwareHashRow,
    normalizeColumnName,
    parseHardwareHashCsv,
    ParseResult,
    readHardwareHashCsv,
} from "../../../provider/fleet/csv";
import { HARDWARE_HASH_BYTES } from "../../../provider/resources/importedIdentity/spec";

/** A random hash the size of a real 4K hardware hash. */
const hash = (bytes = 3000) => randomBytes(bytes).toString("base64");
/** Get-WindowsAutopilotInfo's header (it strips the quotes Export-Csv adds). */
const GWAI = "Device Serial Number,Windows Product ID,Hardware Hash";
const GWAI_FULL = `${GWAI},Group Tag,Assigned User`;
const PRODUCT_KEY = "VK7JG-NPHTM-C97JM-9MPGT-3V66T";

const lines = (eol: string, ...l: string[]) => l.join(eol);
const utf16le = (text: string) => Buffer.from(`\ufeff${text}`, "utf16le");
const utf16be = (text: string) => Buffer.from(`\ufeff${text}`, "utf16le").swap16();

/** Problems without the file, as [line, column, reason] for compact assertions. */
const brief = (r: ParseResult) => r.problems.map((p) => [p.line, p.column, p.reason]);

function assertClean(r: ParseResult): void {
    assert.deepEqual(r.problems, [], formatProblems(r.problems));
}

describe("hardware-hash CSV reader", () => {
    describe("accepts the files real tools write", () => {
        it("reads Get-WindowsAutopilotInfo's UTF-16LE file with CRLF, optional columns and blank trailing lines", () => {
            const [h1, h2] = [hash(), hash()];
            const text = lines("\r\n", GWAI_FULL, `PF1ABC23,,${h1},Kiosk,ann@contoso.com`, `5CG1234XYZ,${PRODUCT_KEY},${h2},,`, "", "", "");
            const r = parseHardwareHashCsv(utf16le(text), { file: "AutopilotHWID.csv" });
            assertClean(r);
            const expected: HardwareHashRow[] = [
                { serialNumber: "PF1ABC23", hardwareIdentifier: h1, groupTag: "Kiosk", assignedUser: "ann@contoso.com", line: 2 },
                { serialNumber: "5CG1234XYZ", hardwareIdentifier: h2, productKey: PRODUCT_KEY, line: 3 },
            ];
            assert.deepEqual(r.rows, expected);
            // Empty optional values are absent, not undefined (Pulumi's host rejects undefined).
            assert.equal("groupTag" in r.rows[1], false);
            assert.equal("assignedUser" in r.rows[1], false);
        });

        it("reads the three-column file, LF, no BOM", () => {
            const h = hash();
            const r = parseHardwareHashCsv(Buffer.from(lines("\n", GWAI, `SN-1,,${h}`, "")));
            assertClean(r);
            assert.deepEqual(r.rows, [{ serialNumber: "SN-1", hardwareIdentifier: h, line: 2 }]);
        });

        it("reads headers in any case and order, with surrounding whitespace, and the spellings without spaces", () => {
            const h = hash();
            const headers = [
                " hardware hash , DEVICE SERIAL NUMBER ,group tag,ASSIGNED USER,windows product id",
                "HardwareHash,DeviceSerialNumber,GroupTag,AssignedUser,WindowsProductID",
                "hardware_hash,device_serial_number,Group_Tag,assigned_user,WINDOWS_PRODUCT_ID",
            ];
            for (const header of headers) {
                const r = parseHardwareHashCsv(lines("\n", header, `${h},SN1,Tag A,bob@contoso.com,${PRODUCT_KEY}`));
                assertClean(r);
                assert.deepEqual(
                    r.rows,
                    [{ serialNumber: "SN1", hardwareIdentifier: h, groupTag: "Tag A", assignedUser: "bob@contoso.com", productKey: PRODUCT_KEY, line: 2 }],
                    header,
                );
            }
            assert.equal(normalizeColumnName(" Device_Serial  Number "), "deviceserialnumber");
        });

        it("reads quoted fields (Export-Csv's style), a quoted comma, and a hash wrapped over lines", () => {
            const h = hash();
            const wrapped = `${h.slice(0, 1000)}\r\n  ${h.slice(1000, 2000)}\n${h.slice(2000)}`;
            const text = lines(
                "\r\n",
                `"Device Serial Number","Windows Product ID","Hardware Hash","Group Tag"`,
                `"SN 1","","${wrapped}","Sales, North"`,
                `"SN2" , "" , "${h.replace(/A/g, "B")}" , ""`,
            );
            const r = parseHardwareHashCsv(text);
            assertClean(r);
            assert.deepEqual(r.rows, [
                { serialNumber: "SN 1", hardwareIdentifier: h, groupTag: "Sales, North", line: 2 },
                { serialNumber: "SN2", hardwareIdentifier: h.replace(/A/g, "B"), line: 5 },
            ]);
        });

        it("reads UTF-8 with BOM (Buffer and string), UTF-16BE with BOM, and the same rows every way", () => {
            const h = hash();
            const text = lines("\r\n", GWAI_FULL, `SN1,,${h},Grüße,ann@contoso.com`);
            const expected = [{ serialNumber: "SN1", hardwareIdentifier: h, groupTag: "Grüße", assignedUser: "ann@contoso.com", line: 2 }];
            const inputs: Array<[string, string | Buffer]> = [
                ["utf-8 bom buffer", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
                ["utf-8 bom string", `\ufeff${text}`],
                ["utf-16le bom", utf16le(text)],
                ["utf-16be bom", utf16be(text)],
                ["utf-16le no bom", Buffer.from(text, "utf16le")],
            ];
            for (const [name, input] of inputs) {
                const r = parseHardwareHashCsv(input);
                assertClean(r);
                assert.deepEqual(r.rows, expected, name);
            }
        });

        it("ignores blank lines anywhere, lines of spaces, lines of bare commas, and Export-Csv's #TYPE line", () => {
            const [h1, h2] = [hash(), hash()];
            const text = lines(
                "\n",
                "",
                "#TYPE System.Management.Automation.PSCustomObject",
                "",
                GWAI,
                "",
                `SN1,,${h1}`,
                "   ",
                ",,",
                `SN2,,${h2}`,
                "",
                ",,",
                "",
            );
            const r = parseHardwareHashCsv(text);
            assertClean(r);
            assert.deepEqual(
                r.rows.map((x) => [x.serialNumber, x.line]),
                [
                    ["SN1", 6],
                    ["SN2", 9],
                ],
            );
        });

        it("gives the line where a record starts, also after quoted values spanning CRLF and LF lines", () => {
            const [h, h2] = [hash(), hash()];
            for (const eol of ["\r\n", "\n", "\r"]) {
                const text = lines(
                    eol,
                    `${GWAI},Group Tag`,
                    `SN1,,${h},"two${eol}lines"`,
                    "",
                    `SN2,,"${h2.slice(0, 100)}${eol}${h2.slice(100)}",`,
                    `SN3,,${hash()},x`,
                );
                const r = parseHardwareHashCsv(text);
                assertClean(r);
                assert.deepEqual(
                    r.rows.map((x) => x.line),
                    [2, 5, 7],
                    JSON.stringify(eol),
                );
                assert.equal(r.rows[0].groupTag, `two${eol}lines`);
            }
        });

        it("takes the hash-size bounds from the imported-identity spec", () => {
            const { min, max } = HARDWARE_HASH_BYTES;
            const text = lines("\n", GWAI, `A,,${hash(min)}`, `B,,${hash(max)}`, `C,,${hash(min - 1)}`, `D,,${hash(max + 1)}`);
            const r = parseHardwareHashCsv(text);
            assert.deepEqual(
                r.rows.map((x) => x.serialNumber),
                ["A", "B"],
            );
            assert.deepEqual(brief(r), [
                [4, "Hardware Hash", `decodes to ${min - 1} bytes; a hardware hash is ${min} to ${max} bytes`],
                [5, "Hardware Hash", `decodes to ${max + 1} bytes; a hardware hash is ${min} to ${max} bytes`],
            ]);
        });
    });

    describe("reports every row problem at once, with line and column", () => {
        const good = hash();
        const goodLast = hash();
        const dupHash = hash();
        const badAlphabet = `${good.slice(0, 100)}!${good.slice(101)}`;
        const badPadding = good.slice(0, good.length - 1);
        const tooShort = hash(100);
        const tooLong = hash(40000);
        const file = [
            `${GWAI_FULL}`, // 1
            `,${PRODUCT_KEY},${hash()},,`, // 2: missing serial
            `BAD*SERIAL,,${hash()},,`, // 3: serial alphabet
            `${"X".repeat(257)},,${hash()},,`, // 4: serial too long
            `SN5,${PRODUCT_KEY},,,`, // 5: missing hash
            `SN6,${PRODUCT_KEY},${badAlphabet},,`, // 6: bad base64 alphabet
            `SN7,,${badPadding},,`, // 7: bad padding / length
            `SN8,,${tooShort},,`, // 8: too few bytes
            `SN9,,${tooLong},,`, // 9: too many bytes
            `SN10,,${dupHash},,not-a-upn`, // 10: assigned user not a UPN
            `sn10,,${hash()},,`, // 11: duplicate serial (case-insensitive) of line 10
            `SN12,,${hash()},,,extra`, // 12: too many fields
            `SN13,,${hash()}`, // 13: too few fields
            `SN14,,${dupHash},,`, // 14: same hash as line 10
            `SN15,${"K".repeat(65)},${hash()},,`, // 15: product key too long
            `"SN16"x,,${hash()},,`, // 16: bad closing quote; reading continues
            `SN17,,${good},Tag,carol@contoso.com`, // 17: good
            `,,,,`, // 18: a line of bare commas: blank
            `SN19,,${goodLast},,`, // 19: good
            ``,
        ].join("\r\n");
        let r: ParseResult;
        before(() => {
            r = parseHardwareHashCsv(file, { file: "fleet.csv" });
        });

        it("returns only the good rows", () => {
            assert.deepEqual(r.rows, [
                { serialNumber: "SN17", hardwareIdentifier: good, groupTag: "Tag", assignedUser: "carol@contoso.com", line: 17 },
                { serialNumber: "SN19", hardwareIdentifier: goodLast, line: 19 },
            ]);
        });

        it("names each problem's line, column and reason, sorted by line", () => {
            const S = "Device Serial Number";
            const H = "Hardware Hash";
            assert.deepEqual(brief(r), [
                [2, S, "is empty: every row needs the device's serial number"],
                [
                    3,
                    S,
                    '"BAD*SERIAL" is not a serial number: "*" (U+002A) at position 4 is not allowed; a serial starts with A-Z, a-z or 0-9 and holds only those, and . _ - / or space',
                ],
                [4, S, "must be at most 256 characters, got 257"],
                [5, H, "is empty: every row needs the device's hardware hash"],
                [6, H, "is not base64: it holds characters outside A-Z a-z 0-9 + / and = padding"],
                [7, H, "is not base64: its length is not a multiple of 4 (missing = padding?)"],
                [8, H, `decodes to 100 bytes; a hardware hash is ${HARDWARE_HASH_BYTES.min} to ${HARDWARE_HASH_BYTES.max} bytes`],
                [9, H, `decodes to 40000 bytes; a hardware hash is ${HARDWARE_HASH_BYTES.min} to ${HARDWARE_HASH_BYTES.max} bytes`],
                [10, "Assigned User", '"not-a-upn" is not a user principal name (like user@contoso.com)'],
                [11, S, "duplicates the serial number of line 10 (serial numbers are compared ignoring case)"],
                [12, undefined, "has 6 values but the header has 5 columns: a value holding a comma must be quoted"],
                [13, undefined, "has 3 values but the header has 5 columns: a value holding a comma must be quoted"],
                [14, H, "is the same hardware hash as line 10"],
                [15, "Windows Product ID", "must be at most 64 characters, got 65"],
                [16, undefined, 'a quoted value is followed by other characters before the next comma: a " inside a quoted value must be doubled ("")'],
            ]);
            assert.ok(r.problems.every((p) => p.file === "fleet.csv"));
        });

        it("never puts a hash or a product key in a problem", () => {
            const text = formatProblems(r.problems);
            for (const secret of [PRODUCT_KEY, good, badAlphabet, badPadding, tooShort, tooLong, dupHash]) {
                // Any 12 characters of a secret would be a leak, not only the whole value.
                for (let i = 0; i + 12 <= Math.min(secret.length, 400); i += 6) {
                    assert.ok(!text.includes(secret.slice(i, i + 12)), `problem text holds part of a secret at ${i}`);
                }
            }
        });

        it("reports several problems of one row together", () => {
            const res = parseHardwareHashCsv(lines("\n", GWAI_FULL, `bad serial!,,abc,,nobody`));
            assert.deepEqual(
                res.problems.map((p) => p.column),
                ["Device Serial Number", "Hardware Hash", "Assigned User"],
            );
            assert.deepEqual(res.rows, []);
        });
    });

    describe("CSV syntax errors", () => {
        it("reports an unclosed quote at the line where its row starts and still reads the rows after it", () => {
            const h = hash();
            const r = parseHardwareHashCsv(lines("\r\n", GWAI, `SN1,,${h}`, `SN2,"${PRODUCT_KEY},${hash()}`, `SN3,,${hash()}`));
            assert.deepEqual(brief(r), [[3, undefined, 'a quoted value is never closed: a closing " is missing']]);
            assert.deepEqual(
                r.rows.map((x) => [x.serialNumber, x.line]),
                [
                    ["SN1", 2],
                    ["SN3", 4],
                ],
            );
            assert.ok(!formatProblems(r.problems).includes(PRODUCT_KEY));
        });

        it("reports a quote inside an unquoted value", () => {
            const r = parseHardwareHashCsv(lines("\n", GWAI, `SN"1,,${hash()}`, `SN2,,${hash()}`));
            assert.deepEqual(brief(r), [[2, undefined, 'a " appears inside an unquoted value: quote the whole value and double the inner " ("")']]);
            assert.deepEqual(
                r.rows.map((x) => x.line),
                [3],
            );
        });
    });

    describe("header problems", () => {
        it("names a missing required column and lists the columns found", () => {
            const r = parseHardwareHashCsv(lines("\n", "Serial,Windows Product ID,Group Tag", `SN1,,x`));
            assert.deepEqual(brief(r), [
                [
                    1,
                    "Serial",
                    'unknown column "Serial"; allowed columns: Device Serial Number, Windows Product ID, Hardware Hash, Group Tag, Assigned User (case, spaces and underscores do not matter)',
                ],
                [1, "Device Serial Number", 'required column "Device Serial Number" is missing; columns found: "Serial", "Windows Product ID", "Group Tag"'],
                [1, "Hardware Hash", 'required column "Hardware Hash" is missing; columns found: "Serial", "Windows Product ID", "Group Tag"'],
            ]);
            assert.deepEqual(r.rows, []);
        });

        it("reports an unknown column, still checks the rows, and returns no rows", () => {
            const r = parseHardwareHashCsv(lines("\n", `${GWAI},Manufacturer name`, `SN1,,${hash()},Contoso`, `SN!,,${hash()},Contoso`));
            assert.deepEqual(
                r.problems.map((p) => [p.line, p.column]),
                [
                    [1, "Manufacturer name"],
                    [3, "Device Serial Number"],
                ],
            );
            assert.match(
                r.problems[0].reason,
                /^unknown column "Manufacturer name"; allowed columns: Device Serial Number, Windows Product ID, Hardware Hash, Group Tag, Assigned User/,
            );
            assert.deepEqual(r.rows, []);
        });

        it("reports a duplicated column, also spelled differently", () => {
            const r = parseHardwareHashCsv(lines("\n", `${GWAI},HardwareHash`, `SN1,,${hash()},${hash()}`));
            assert.deepEqual(brief(r), [[1, "HardwareHash", 'duplicates column "Hardware Hash" (column 3): both are Hardware Hash']]);
            assert.deepEqual(r.rows, []);
        });

        it("says a file without a header has none, without echoing the device row", () => {
            const h = hash();
            const r = parseHardwareHashCsv(lines("\n", `SN1,${PRODUCT_KEY},${h}`, `SN2,,${hash()}`));
            assert.equal(r.problems.length, 1);
            assert.equal(r.problems[0].line, 1);
            assert.match(r.problems[0].reason, /^is not a header line: none of its 3 values is a known column name/);
            const text = formatProblems(r.problems);
            assert.ok(!text.includes(PRODUCT_KEY) && !text.includes(h.slice(0, 12)) && !text.includes("SN1"));
            assert.deepEqual(r.rows, []);
        });

        it("hints at a semicolon-separated file", () => {
            const r = parseHardwareHashCsv(lines("\n", "Device Serial Number;Hardware Hash", `SN1;${hash()}`));
            assert.match(r.problems.at(-1)!.reason, /columns seem to be separated by ';'; separate them with commas\)$/);
        });

        it("reports an empty file", () => {
            for (const input of ["", "\r\n\r\n", Buffer.from([0xff, 0xfe])]) {
                const r = parseHardwareHashCsv(input, { file: "empty.csv" });
                assert.deepEqual(r.problems, [
                    {
                        file: "empty.csv",
                        line: 1,
                        reason: "has no header line: the first line must name the columns Device Serial Number, Windows Product ID, Hardware Hash, Group Tag, Assigned User",
                    },
                ]);
            }
        });

        it("accepts a header with no rows", () => {
            assert.deepEqual(parseHardwareHashCsv(`${GWAI}\r\n`), { rows: [], problems: [] });
        });
    });

    it("rejects the values of a file that is not UTF-8 (an ANSI file) instead of importing altered text", () => {
        const h = hash();
        const r = parseHardwareHashCsv(Buffer.from(lines("\r\n", `${GWAI},Group Tag`, `SN1,,${h},Café`, `SN2,,${h.replace(/A/g, "C")},Cafe`), "latin1"));
        assert.deepEqual(brief(r), [[2, "Group Tag", "holds bytes that are not valid UTF-8 text: save the file as UTF-8 or UTF-16 (Unicode)"]]);
        assert.deepEqual(
            r.rows.map((x) => x.serialNumber),
            ["SN2"],
        );
    });

    describe("formatProblems", () => {
        it("writes one line per problem, <file>:<line>: <column>: <reason>, sorted by line", () => {
            const problems: CsvProblem[] = [
                { file: "a.csv", line: 9, column: "Hardware Hash", reason: "is empty" },
                { file: "a.csv", line: 1, column: "Group Tag", reason: "first on line 1" },
                { file: "a.csv", line: 4, reason: "has 2 values" },
                { file: "a.csv", line: 1, column: "Foo", reason: "second on line 1" },
            ];
            assert.equal(
                formatProblems(problems),
                ["a.csv:1: Group Tag: first on line 1", "a.csv:1: Foo: second on line 1", "a.csv:4: has 2 values", "a.csv:9: Hardware Hash: is empty"].join(
                    "\n",
                ),
            );
            assert.equal(problems[0].line, 9, "the caller's array is not reordered");
            assert.equal(formatProblems([]), "");
        });

        it("formats what the reader reports", () => {
            const r = parseHardwareHashCsv(lines("\n", GWAI, `SN1,,`, `,,${hash()}`), { file: "devices.csv" });
            assert.equal(
                formatProblems(r.problems),
                [
                    "devices.csv:2: Hardware Hash: is empty: every row needs the device's hardware hash",
                    "devices.csv:3: Device Serial Number: is empty: every row needs the device's serial number",
                ].join("\n"),
            );
        });

        it("uses <inline> when no file name is given", () => {
            const r = parseHardwareHashCsv(lines("\n", GWAI, `SN1,,`));
            assert.equal(r.problems[0].file, "<inline>");
        });
    });

    describe("readHardwareHashCsv", () => {
        let dir: string;
        before(() => {
            dir = mkdtempSync(join(tmpdir(), "fleet-csv-"));
        });
        after(() => rmSync(dir, { recursive: true, force: true }));

        it("reads the file's bytes (UTF-16LE) and names the path as given in problems", () => {
            const path = join(dir, "hwid.csv");
            const h = hash();
            writeFileSync(path, utf16le(lines("\r\n", GWAI, `SN1,,${h}`, `SN1,,${hash()}`, "")));
            const r = readHardwareHashCsv(path);
            assert.deepEqual(r.rows, [{ serialNumber: "SN1", hardwareIdentifier: h, line: 2 }]);
            assert.deepEqual(
                r.problems.map((p) => [p.file, p.line]),
                [[path, 3]],
            );
        });

        it("throws, naming the path, when the file cannot be read", () => {
            const path = join(dir, "missing.csv");
            assert.throws(
                () => readHardwareHashCsv(path),
                (e: Error) => e.message.includes(path) && e.message.includes("ENOENT"),
            );
        });
    });
});
