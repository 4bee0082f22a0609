/** Text of a CSV file, and whether the decoder had to replace bytes it could not read. */
export interface DecodedCsv {
    /** The text, without a byte-order mark. */
    text: string;
    /**
     * True when the bytes were not valid UTF-8 and invalid sequences became U+FFFD: the
     * caller rejects the fields that hold one instead of importing altered values.
     */
    lossy: boolean;
}

/**
 * Decodes a CSV file. A Buffer is sniffed by its byte-order mark: UTF-8, UTF-16LE (what Windows
 * PowerShell 5's `Out-File` and `Export-Csv -Encoding Unicode` write) or UTF-16BE; without one it
 * is UTF-8, unless its first two bytes show UTF-16 without a mark (an ASCII header character next
 * to a zero byte). A string is taken as already decoded; a leading U+FEFF is dropped.
 */
export function decodeCsvInput(input: string | Buffer): DecodedCsv {
    if (typeof input === "string") {
        return { text: stripBom(input), lossy: false };
    }
    if (input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) {
        return decodeUtf8(input.subarray(3));
    }
    if (input.length >= 2 && input[0] === 0xff && input[1] === 0xfe) {
        return { text: input.subarray(2).toString("utf16le"), lossy: false };
    }
    if (input.length >= 2 && input[0] === 0xfe && input[1] === 0xff) {
        return { text: utf16be(input.subarray(2)), lossy: false };
    }
    // No mark: a header starts with an ASCII character, so a zero byte beside it means UTF-16.
    if (input.length >= 2 && input[0] !== 0 && input[1] === 0) {
        return { text: stripBom(input.toString("utf16le")), lossy: false };
    }
    if (input.length >= 2 && input[0] === 0 && input[1] !== 0) {
        return { text: stripBom(utf16be(input)), lossy: false };
    }
    return decodeUtf8(input);
}

function stripBom(text: string): string {
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function decodeUtf8(bytes: Buffer): DecodedCsv {
    try {
        return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), lossy: false };
    } catch {
        // Likely an ANSI (Windows-1252) file: keep reading so every other row is still checked.
        return { text: new TextDecoder("utf-8").decode(bytes), lossy: true };
    }
}

function utf16be(bytes: Buffer): string {
    // Node has no utf16be codec: swap each byte pair (copy: never modify the caller's buffer).
    const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
    return Buffer.from(even).swap16().toString("utf16le");
}
