import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock, Delay, TokenSource } from "../../../provider/graph";

/** What the server saw. */
export interface RecordedRequest {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/**
 * One scripted answer: an HTTP answer (an object body is sent as JSON), or a fault:
 * "reset" closes the socket once the request is read, "hang" never answers.
 */
export type Answer =
    { status: number; headers?: Record<string, string>; body?: unknown } | "reset" | "hang" | ((req: RecordedRequest, res: http.ServerResponse) => void);

export interface ScriptedServer {
    readonly origin: string;
    readonly requests: RecordedRequest[];
    /** Requests read but not yet answered. */
    readonly inFlight: number;
    readonly maxInFlight: number;
    close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1, port 0. Answers come from `script` in order (an array)
 * or from a function of the request and its index. Past the end of an array it answers 418,
 * so a test that sends more than it scripted fails loudly.
 */
export async function startServer(script: Answer[] | ((req: RecordedRequest, index: number) => Answer)): Promise<ScriptedServer> {
    const requests: RecordedRequest[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const recorded: RecordedRequest = {
                method: req.method ?? "",
                url: req.url ?? "",
                headers: req.headers,
                body: Buffer.concat(chunks).toString("utf8"),
            };
            const index = requests.length;
            requests.push(recorded);
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            let done = false;
            const finish = (): void => {
                if (!done) {
                    done = true;
                    inFlight--;
                }
            };
            res.on("close", finish);
            const answer = Array.isArray(script)
                ? (script[index] ?? { status: 418, body: { error: { code: "Unscripted", message: `no answer scripted for request ${index + 1}` } } })
                : script(recorded, index);
            if (answer === "hang") return;
            if (answer === "reset") {
                req.socket.destroy();
                return;
            }
            if (typeof answer === "function") {
                answer(recorded, res);
                return;
            }
            const headers: Record<string, string> = { ...(answer.headers ?? {}) };
            let text = "";
            if (answer.body !== undefined) {
                text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
                if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
            }
            res.writeHead(answer.status, headers);
            res.end(text);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        origin: `http://127.0.0.1:${port}`,
        requests,
        get inFlight() {
            return inFlight;
        },
        get maxInFlight() {
            return maxInFlight;
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A Graph error body like the service's. */
export function graphError(code: string, message: string, requestId = "req-1"): unknown {
    return { error: { code, message, innerError: { date: "2024-01-01T00:00:00", "request-id": requestId, "client-request-id": "ignored" } } };
}

/** A delay that records what it was asked and returns at once. */
export function recordingDelay(): { delay: Delay; waits: number[] } {
    const waits: number[] = [];
    return {
        waits,
        delay: async (ms, signal) => {
            signal?.throwIfAborted();
            waits.push(ms);
        },
    };
}

/** A clock that stands still unless the test moves it. */
export function fakeClock(start = Date.parse("2024-05-01T12:00:00Z")): Clock & { advance(ms: number): void; set(ms: number): void } {
    let now = start;
    return {
        now: () => now,
        advance: (ms) => {
            now += ms;
        },
        set: (ms) => {
            now = ms;
        },
    };
}

/** Hands out "token-1", "token-2", ...; a new one only after invalidate(). */
export function countingTokenSource(withInvalidate = true): TokenSource & { gets: number; invalidations: number } {
    let generation = 1;
    const source = {
        gets: 0,
        invalidations: 0,
        async getToken() {
            source.gets++;
            return `token-${generation}`;
        },
        invalidate: withInvalidate
            ? () => {
                  source.invalidations++;
                  generation++;
              }
            : undefined,
    };
    return source;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Resolves with the rejection of `p`; fails if it resolves. */
export async function rejectionOf(p: Promise<unknown>): Promise<any> {
    try {
        await p;
    } catch (err) {
        return err;
    }
    throw new Error("expected the promise to reject, but it resolved");
}
