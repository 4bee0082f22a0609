/**
 * The HTTP layer: reads a request, records it, checks the bearer token, hands it to the
 * dispatcher, waits the configured latency and writes the answer with Graph's headers.
 */
import * as http from "http";
import * as https from "https";
import { answerIds, errorReply, withStandardHeaders } from "./answers";
import { clientOf } from "./chaos";
import { dispatch } from "./dispatch";
import { errorBody, FAULT_ERRORS, GraphError } from "./errors";
import type { Reply } from "./router";
import { EmulatorState, recordRequest, redactHeaders } from "./state";

// Graph's challenge on 401 answers.
const WWW_AUTHENTICATE =
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' + 'client_id="00000003-0000-0000-c000-000000000000"';

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

/**
 * Checks `Authorization: Bearer <token>`; returns Graph's 401 message, or undefined when accepted.
 * A static test token is accepted as is; a token the authority issued while it is valid and only at
 * the Graph origin (`origin`) it was requested for.
 */
export function authFailure(
    header: string | undefined,
    tokens: ReadonlySet<string>,
    issued?: { validate(token: string, origin: string): string | undefined },
    origin = "",
): string | undefined {
    const m = /^Bearer(?:\s+(.*))?$/i.exec((header ?? "").trim());
    const token = m?.[1]?.trim() ?? "";
    if (!header || !m || token === "") return "Access token is empty.";
    if (tokens.has(token)) return undefined;
    return issued ? issued.validate(token, origin) : "Access token validation failure.";
}

async function handle(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, scheme: "http" | "https" = "http"): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    // The authority's routes exist on the HTTPS listener only, as Entra is https-only.
    if (scheme === "https" && state.authority && (await state.authority.handle(req, res, raw))) return;
    let body: unknown;
    let bodyInvalid: string | undefined;
    if (raw.trim() !== "") {
        try {
            body = JSON.parse(raw);
        } catch (e) {
            body = raw;
            bodyInvalid = (e as Error).message;
        }
    }
    const headers = redactHeaders(req.headers);
    const method = (req.method ?? "GET").toUpperCase();
    const entry = recordRequest(state, { method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body });

    // Connection-level faults (chaos.ts): a reset, or an answer later than the client waits.
    const scriptedConn = state.faults.takeConnection(method, url.pathname);
    const conn = scriptedConn ?? state.chaos.connectionFault(method, url.pathname);
    // Scripted faults are labelled and counted as such; the fault modes count their own.
    const label = (what: string): string => {
        if (!scriptedConn) return what;
        state.chaos.count(`scripted ${what}`);
        return `scripted ${what}`;
    };
    let early: Reply | undefined;
    if (conn && !conn.processed) {
        if (conn.kind === "reset") {
            entry.fault = label("reset before processing");
            resetConnection(req);
            return;
        }
        entry.fault = label("slow before processing");
        if (!(await waitUnlessClosed(res, conn.delayMs))) return; // the client gave up; nothing was processed
        // Still waiting: the gateway gives up on the service, which never processed the request.
        const { requestId, clientRequestId } = answerIds(headers);
        const { code, message } = FAULT_ERRORS[504];
        early = withStandardHeaders(errorReply(new GraphError(504, code, message), requestId, clientRequestId), requestId, clientRequestId);
    }

    let reply: Reply;
    const failure = authFailure(req.headers.authorization, state.tokens, state.authority, `${scheme}://${req.headers.host ?? ""}`);
    if (early) {
        reply = early;
    } else if (failure) {
        const { requestId, clientRequestId } = answerIds(headers);
        reply = withStandardHeaders(
            {
                status: 401,
                body: errorBody("InvalidAuthenticationToken", failure, requestId, clientRequestId),
                headers: { "WWW-Authenticate": WWW_AUTHENTICATE },
            },
            requestId,
            clientRequestId,
        );
    } else {
        reply = await dispatch(state, {
            method,
            path: url.pathname,
            query: entry.query,
            headers,
            body,
            bodyInvalid,
            viaBatch: false,
            client: clientOf(req.headers.authorization),
        });
    }
    entry.status = reply.status;
    if (reply.fault) entry.fault = reply.fault;
    if (conn?.processed) {
        const what = label(`${conn.kind} after processing`);
        entry.fault = entry.fault ? `${entry.fault}; ${what}` : what;
        if (conn.kind === "reset") {
            resetConnection(req);
            return;
        }
        if (!(await waitUnlessClosed(res, conn.delayMs))) return;
    }
    if (state.latencyMs > 0) await new Promise((r) => setTimeout(r, state.latencyMs));
    if (res.destroyed || res.socket?.destroyed) return; // the client left: it never sees this answer
    reply.delivered?.();
    const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
        ...reply.headers,
        Date: new Date().toUTCString(),
        "Content-Length": String(Buffer.byteLength(text)),
    });
    res.end(text);
}

/** Resets the TCP connection (RST): the client sees ECONNRESET, without an answer. */
function resetConnection(req: http.IncomingMessage): void {
    const socket = req.socket as import("net").Socket;
    if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
    else socket.destroy();
}

/** Waits `ms`; false as soon as the client closes the connection. */
function waitUnlessClosed(res: http.ServerResponse, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
        if (res.destroyed || res.socket?.destroyed) return resolve(false);
        const onClose = (): void => {
            clearTimeout(timer);
            resolve(false);
        };
        const timer = setTimeout(() => {
            res.off("close", onClose);
            resolve(!(res.destroyed || res.socket?.destroyed));
        }, ms);
        res.once("close", onClose);
    });
}

/**
 * Starts the HTTP server on 127.0.0.1 and resolves once it listens. With `tls`, an HTTPS server
 * instead: the same Graph routes plus the authority's (see authority.ts).
 */
export function listen(state: EmulatorState, port: number, tls?: { certPem: string; keyPem: string }): Promise<http.Server> {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
        handle(state, req, res, tls ? "https" : "http").catch((e: unknown) => {
            console.error("[graph-emulator] failed to answer:", e);
            if (!res.headersSent) res.writeHead(500);
            res.end();
        });
    };
    // https.Server has http.Server's API (listen, close, closeAllConnections); the typings keep them apart.
    const server = (tls ? https.createServer({ cert: tls.certPem, key: tls.keyPem }, onRequest) : http.createServer(onRequest)) as http.Server;
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
            server.off("error", reject);
            resolve(server);
        });
    });
}
