/** Made-up fleets for the chaos run and the interrupted-run tests. */
import * as crypto from "crypto";

/**
 * A Get-WindowsAutopilotInfo CSV of `n` made-up devices, serials `<prefix>000001` on, each with a
 * hash of a real hash's minimum size derived from its serial (the same CSV every time).
 */
export function fleetCsv(n: number, prefix = "CH"): { csv: string; serials: string[] } {
    const lines = ['"Device Serial Number","Windows Product ID","Hardware Hash"'];
    const serials: string[] = [];
    for (let i = 1; i <= n; i++) {
        const serial = `${prefix}${String(i).padStart(6, "0")}`;
        serials.push(serial);
        const hash = Buffer.concat([0, 1, 2, 3, 4].map((k) => crypto.createHash("sha512").update(`${serial}:${k}`).digest())).toString("base64");
        lines.push(`"${serial}","","${hash}"`);
    }
    return { csv: lines.join("\r\n") + "\r\n", serials };
}
