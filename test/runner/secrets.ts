/** Seals secret values in the runner's state file, as Pulumi encrypts them in its state. */
import * as crypto from "crypto";
import type { Bag } from "./wire";

const SEALED = "@sealed";

/** A per-process key: the runner's state lives in a temp folder for one demo or test run. */
export class SecretBox {
    private readonly key = crypto.randomBytes(32);

    seal(bag: Bag, secretKeys: string[]): Bag {
        const out: Bag = { ...bag };
        for (const k of secretKeys) {
            if (out[k] === undefined || out[k] === null) continue;
            const iv = crypto.randomBytes(12);
            const cipher = crypto.createCipheriv("aes-256-gcm", this.key, iv);
            const data = Buffer.concat([cipher.update(JSON.stringify(out[k]), "utf8"), cipher.final()]);
            out[k] = { [SEALED]: Buffer.concat([iv, cipher.getAuthTag(), data]).toString("base64") };
        }
        return out;
    }

    open(bag: Bag): Bag {
        const out: Bag = {};
        for (const [k, v] of Object.entries(bag)) {
            if (v !== null && typeof v === "object" && SEALED in (v as Bag)) {
                const raw = Buffer.from(String((v as Bag)[SEALED]), "base64");
                const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
                decipher.setAuthTag(raw.subarray(12, 28));
                out[k] = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8"));
            } else {
                out[k] = v;
            }
        }
        return out;
    }
}
