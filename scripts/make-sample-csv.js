// Writes examples/fleet-from-csv/devices.csv: 25 devices as Get-WindowsAutopilotInfo writes them,
// with made-up (deterministic) hardware hashes, one row whose hash is damaged and one serial
// listed twice, so the example shows how bad rows are reported. Run: node scripts/make-sample-csv.js
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

function fakeHash(seed) {
    const parts = [];
    for (let i = 0; i < 56; i++) parts.push(crypto.createHash("sha512").update(`${seed}:${i}`).digest());
    return Buffer.concat(parts).toString("base64"); // 3,584 bytes, like a real 4K hardware hash
}

const users = ["adele.vance@contoso.com", "alex.wilber@contoso.com", "megan.bowen@contoso.com", "", ""];
const lines = ['"Device Serial Number","Windows Product ID","Hardware Hash","Group Tag","Assigned User"'];
for (let i = 1; i <= 25; i++) {
    let serial = `8CG51${String(i).padStart(3, "0")}ZK`;
    let hash = fakeHash(serial);
    if (i === 7) hash = "Q0FQVFVSRUQgQlkgQSBCUk9LRU4gU0NSSVBU!!"; // damaged: not base64
    if (i === 19) serial = "8CG51003ZK"; // the same device as row 3, captured twice
    const groupTag = i % 5 === 0 ? "Sales-Kiosk" : "";
    lines.push(`"${serial}","","${hash}","${groupTag}","${users[i % users.length]}"`);
}
const out = path.join(__dirname, "..", "examples", "fleet-from-csv", "devices.csv");
fs.writeFileSync(out, lines.join("\r\n") + "\r\n");
console.log(`wrote ${out}`);
