/**
 * Text as a message shows it: characters a reader cannot see or tell apart (zero-width and other
 * format characters, controls, non-breaking and other unusual spaces, the byte-order mark) are
 * written as `<U+200B>`, so "SER\u200B2" reads `SER<U+200B>2`, not as a serial that looks right.
 */
export function visible(text: string): string {
    return text.replace(/[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]/gu, (c) => `<${codePoint(c)}>`);
}

function codePoint(c: string): string {
    return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** How a character is named in a message: `"Ä" (U+00C4)`, or just `<U+200B>` when it cannot be seen. */
export function describeCharacter(c: string): string {
    const shown = visible(c);
    return shown === c ? `${JSON.stringify(c)} (${codePoint(c)})` : shown;
}
