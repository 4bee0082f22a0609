/**
 * The HTTP layer: reads a request, records it, checks the bearer token, hands it to the
 * dispatcher, waits the configured latency and writes the answer with Graph's headers.
 */
import * as http from "http";
import { answerIds, withStandardHeaders } from "./answers";
import { dispatch } from "./dispatch";
import { errorBody } from "./errors";
import type { Reply } from "./router";
import { EmulatorState, recordRequest, redactHeaders } from "./state";

// Graph's challenge on 401 answers.
const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
  'client_id="00000003-0000-0000-c000-000000000000"';

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Checks `Authorization: Bearer <token>`; returns Graph's 401 message, or undefined when accepted. */
export function authFailure(header: string | undefined, tokens: ReadonlySet<string>): string | undefined {
  const m = /^Bearer(?:\s+(.*))?$/i.exec((header ?? "").trim());
  const token = m?.[1]?.trim() ?? "";
  if (!header || !m || token === "") return "Access token is empty.";
  return tokens.has(token) ? undefined : "Access token validation failure.";
}

async function handle(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const raw = await readBody(req);
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

  let reply: Reply;
  const failure = authFailure(req.headers.authorization, state.tokens);
  if (failure) {
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
    });
  }
  entry.status = reply.status;
  if (state.latencyMs > 0) await new Promise((r) => setTimeout(r, state.latencyMs));
  const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    Date: new Date().toUTCString(),
    "Content-Length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Starts the HTTP server on 127.0.0.1 and resolves once it listens. */
export function listen(state: EmulatorState, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    handle(state, req, res).catch((e: unknown) => {
      console.error("[graph-emulator] failed to answer:", e);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
