/**
 * The README's configuration table, generated from the settings table
 * (provider/settings/table.ts): `npm run docs:settings` writes it between the markers, and
 * test/unit/provider/settings.spec.ts fails when the README's copy differs.
 */
import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { SETTINGS } from "../provider/settings/table";

export const BEGIN_MARKER = "<!-- settings: generated from provider/settings/table.ts by `npm run docs:settings`; edit the table there -->";
export const END_MARKER = "<!-- end of settings -->";

export const README = path.join(__dirname, "..", "README.md");

/** A default that is a literal value shows as code; a phrase ("the cloud's") as text. */
function showDefault(text: string): string {
    return /^[\w:/.-]+$/.test(text) ? `\`${text}\`` : text;
}

/** The markdown table of every setting, in the table's order. */
export function settingsMarkdown(): string {
    const rows = Object.values(SETTINGS).map((s) => {
        const key = `\`${s.key}\`${s.secret ? " (secret)" : ""}`;
        return `| ${key} | \`${s.env}\` | ${showDefault(s.defaultText)} | ${s.description.replace(/\|/g, "\\|")} |`;
    });
    return ["| key | environment | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** The README's text between the markers (trimmed); throws when the markers are missing. */
export function readmeSettings(readme: string): string {
    const begin = readme.indexOf(BEGIN_MARKER);
    const end = readme.indexOf(END_MARKER);
    if (begin < 0 || end < begin) throw new Error(`README.md has no settings markers (${BEGIN_MARKER} ... ${END_MARKER})`);
    return readme.slice(begin + BEGIN_MARKER.length, end).trim();
}

/** The README with the generated table between the markers. */
export function withSettingsTable(readme: string): string {
    readmeSettings(readme);
    const begin = readme.indexOf(BEGIN_MARKER) + BEGIN_MARKER.length;
    return `${readme.slice(0, begin)}\n${settingsMarkdown()}\n${readme.slice(readme.indexOf(END_MARKER))}`;
}

if (require.main === module) {
    const before = readFileSync(README, "utf8");
    const after = withSettingsTable(before);
    if (after !== before) writeFileSync(README, after);
    process.stdout.write(after === before ? "README.md: settings table up to date\n" : "README.md: settings table written\n");
}
