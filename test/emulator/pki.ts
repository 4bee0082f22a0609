/**
 * A throw-away PKI for tests, made at run time with Node's crypto (no keys in the repository, no
 * openssl needed): a test CA, a TLS certificate for 127.0.0.1 / localhost signed by it (the
 * emulator's HTTPS listener), and self-signed RSA app certificates (what an Entra app registration
 * holds for ClientCertificateCredential). Node has no API to issue X.509 certificates, so this file
 * writes the few DER structures of RFC 5280 itself.
 *
 * A process trusts the CA through NODE_EXTRA_CA_CERTS=<caFile> (read when the process starts).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// ---- DER -------------------------------------------------------------------------------------

function len(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(content.length), content]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));

function integer(b: Buffer): Buffer {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
    const [a, b, ...rest] = dotted.split(".").map(Number);
    const out = [40 * a + b];
    for (const n of rest) {
        const chunk: number[] = [n & 0x7f];
        for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
        out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
    const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    const digits = iso.slice(0, 19).replace(/[-:T]/g, "");
    // UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
    return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2) + "Z")) : tlv(0x18, Buffer.from(digits + "Z"));
}

const name = (cn: string): Buffer => seq(set(seq(oid("2.5.4.3"), utf8(cn))));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
    return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

// ---- certificates ----------------------------------------------------------------------------

/** A certificate and its private key, both PEM. */
export interface KeyPairPem {
    certPem: string;
    keyPem: string;
}

interface Issuer {
    name: string;
    key: crypto.KeyObject;
    publicKey: crypto.KeyObject;
}

interface CertSpec {
    subject: string;
    publicKey: crypto.KeyObject;
    issuer: Issuer;
    ca: boolean;
    /** IPv4 addresses and DNS names for subjectAltName. */
    ips?: string[];
    dns?: string[];
    serverAuth?: boolean;
    days?: number;
}

function keyId(publicKey: crypto.KeyObject): Buffer {
    // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. Close enough:
    // any stable identifier works, as long as subject and authority key ids agree.
    return crypto
        .createHash("sha1")
        .update(publicKey.export({ type: "spki", format: "der" }))
        .digest();
}

function signatureAlgorithm(key: crypto.KeyObject): Buffer {
    if (key.asymmetricKeyType === "ec") return seq(oid("1.2.840.10045.4.3.2")); // ecdsa-with-SHA256
    if (key.asymmetricKeyType === "rsa") return seq(oid("1.2.840.113549.1.1.11"), tlv(0x05, Buffer.alloc(0))); // sha256WithRSAEncryption
    throw new Error(`pki: unsupported key type ${key.asymmetricKeyType}`);
}

function issue(spec: CertSpec): string {
    const now = Date.now();
    const notBefore = new Date(now - 60 * 60 * 1000);
    const notAfter = new Date(now + (spec.days ?? 2) * 24 * 60 * 60 * 1000);
    const serial = crypto.randomBytes(16);
    serial[0] &= 0x7f;
    serial[0] |= 0x01;

    const exts: Buffer[] = [
        extension("2.5.29.19", true, spec.ca ? seq(bool(true)) : seq()),
        // keyUsage: CA keyCertSign + cRLSign; leaf digitalSignature + keyEncipherment.
        extension("2.5.29.15", true, spec.ca ? bits(Buffer.from([0x06]), 1) : bits(Buffer.from([0xa0]), 5)),
        extension("2.5.29.14", false, octets(keyId(spec.publicKey))),
        extension("2.5.29.35", false, seq(tlv(0x80, keyId(spec.issuer.publicKey)))),
    ];
    if (spec.serverAuth) exts.push(extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))));
    const alt: Buffer[] = [
        ...(spec.dns ?? []).map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
        ...(spec.ips ?? []).map((ip) => tlv(0x87, Buffer.from(ip.split(".").map(Number)))),
    ];
    if (alt.length > 0) exts.push(extension("2.5.29.17", false, seq(...alt)));

    const sigAlg = signatureAlgorithm(spec.issuer.key);
    const tbs = seq(
        explicit(0, integer(Buffer.from([2]))),
        integer(serial),
        sigAlg,
        name(spec.issuer.name),
        seq(time(notBefore), time(notAfter)),
        name(spec.subject),
        spec.publicKey.export({ type: "spki", format: "der" }),
        explicit(3, seq(...exts)),
    );
    const signature = crypto.sign("sha256", tbs, spec.issuer.key);
    const der = seq(tbs, sigAlg, bits(signature));
    const b64 = der
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")
        .replace(/\n$/, "");
    return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

const pemKey = (key: crypto.KeyObject): string => key.export({ type: "pkcs8", format: "pem" }).toString();

/** The test PKI of one test run. */
export interface TestPki {
    /** Folder holding the files below; {@link TestPki.dispose} removes it. */
    readonly dir: string;
    /** The CA certificate, PEM: give it to NODE_EXTRA_CA_CERTS. */
    readonly caCertPem: string;
    readonly caFile: string;
    /** TLS certificate and key for 127.0.0.1 and localhost, signed by the CA. */
    readonly server: KeyPairPem;
    /**
     * A self-signed RSA certificate for an app registration. `pemFile` holds the private key and
     * the certificate (what ClientCertificateCredential's certificatePath reads).
     */
    appCertificate(subject: string): KeyPairPem & { pemFile: string };
    dispose(): void;
}

/** Makes a CA, a server certificate for loopback and a folder for the files. */
export function createTestPki(): TestPki {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-pki-"));
    const caKeys = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const caName = `pulumi-autopilot test CA ${crypto.randomBytes(4).toString("hex")}`;
    const ca: Issuer = { name: caName, key: caKeys.privateKey, publicKey: caKeys.publicKey };
    const caCertPem = issue({ subject: caName, publicKey: caKeys.publicKey, issuer: ca, ca: true });
    const caFile = path.join(dir, "ca.pem");
    fs.writeFileSync(caFile, caCertPem);

    const serverKeys = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const server: KeyPairPem = {
        certPem: issue({
            subject: "127.0.0.1",
            publicKey: serverKeys.publicKey,
            issuer: ca,
            ca: false,
            ips: ["127.0.0.1"],
            dns: ["localhost"],
            serverAuth: true,
        }),
        keyPem: pemKey(serverKeys.privateKey),
    };

    let n = 0;
    return {
        dir,
        caCertPem,
        caFile,
        server,
        appCertificate(subject) {
            const keys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
            const self: Issuer = { name: subject, key: keys.privateKey, publicKey: keys.publicKey };
            const certPem = issue({ subject, publicKey: keys.publicKey, issuer: self, ca: false, days: 30 });
            const keyPem = pemKey(keys.privateKey);
            const pemFile = path.join(dir, `app-${++n}.pem`);
            fs.writeFileSync(pemFile, keyPem + certPem, { mode: 0o600 });
            return { certPem, keyPem, pemFile };
        },
        dispose() {
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
