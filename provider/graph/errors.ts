import { STATUS_CODES } from "node:http";
import { brandClass, type BrandCheck } from "../errors/branded";
import type { HttpMethod } from "./types";

/**
 * Stable codes of {@link GraphError}; branch on these, never on the message.
 *
 * - `GRAPH_HTTP_ERROR`: Graph answered with a status that is not retried (4xx, or 5xx
 *   once retries are not allowed). `status` and `graphCode` say what.
 * - `GRAPH_RETRIES_EXHAUSTED`: every attempt failed transiently; `cause` is the last failure.
 * - `GRAPH_TIMEOUT`: one attempt took longer than `timeoutSeconds`.
 * - `GRAPH_AMBIGUOUS_WRITE`: a request that is not idempotent failed after it may have
 *   reached Graph; it was not sent again. `ambiguous` is true.
 * - `GRAPH_NETWORK_ERROR`: the connection failed (reset, refused, DNS, TLS).
 * - `GRAPH_ABORTED`: the caller's AbortSignal fired.
 * - `GRAPH_INVALID_RESPONSE`: a 2xx answer said JSON but its body is not JSON, or a `$batch`'s 200 is not a batch answer.
 */
export type GraphErrorCode =
    | "GRAPH_HTTP_ERROR"
    | "GRAPH_RETRIES_EXHAUSTED"
    | "GRAPH_TIMEOUT"
    | "GRAPH_AMBIGUOUS_WRITE"
    | "GRAPH_NETWORK_ERROR"
    | "GRAPH_ABORTED"
    | "GRAPH_INVALID_RESPONSE";

/** What a {@link GraphError} is made of: its own fields, and how to write its message. */
export interface GraphErrorInit extends Omit<GraphError, keyof Error | "ambiguous"> {
    /** Route template; the method is put in front if missing. */
    route: string;
    ambiguous?: boolean;
    /** A sentence telling the user what to do (e.g. the permission a 403 needs). */
    hint?: string;
    /** Strings to replace by `***` in `graphMessage` and `detail`. */
    redact?: readonly string[];
    cause?: unknown;
}

/** A failed Graph call. Its message names the route, the status, Graph's code and the ids. */
export class GraphError extends Error {
    /** True for a GraphError from any copy of this package; `instanceof GraphError` answers the same. */
    static readonly isGraphError: BrandCheck<GraphError> = brandClass(GraphError, "GraphError");

    readonly code: GraphErrorCode;
    readonly status?: number;
    /** Graph's `error.code`, e.g. "TooManyRequests", "No method match route template". */
    readonly graphCode?: string;
    /** Graph's `error.message`, with secrets redacted. */
    readonly graphMessage?: string;
    /** Graph's `request-id` of the last answer. */
    readonly requestId?: string;
    /** The `client-request-id` this client sent. */
    readonly clientRequestId?: string;
    readonly method: HttpMethod;
    readonly route: string;
    /** The wait the last throttling answer asked for. */
    readonly retryAfterMs?: number;
    /** HTTP requests sent for the logical request. */
    readonly attempts: number;
    /** True when Graph may have applied a write that failed: look before writing again. */
    readonly ambiguous: boolean;
    /** `ECONNRESET`, `UND_ERR_SOCKET`, ... for network failures. */
    readonly networkCode?: string;
    /** Words for a failure without an HTTP answer, e.g. "no answer within 100 s (timeout)". */
    readonly detail?: string;

    constructor(init: GraphErrorInit) {
        const route = normalizeRoute(init.method, init.route);
        // Redact before cutting, so a cut cannot leave a secret too short to be recognised.
        const graphMessage = init.graphMessage === undefined ? undefined : truncate(redactSecrets(init.graphMessage, init.redact), 1000);
        const detail = init.detail === undefined ? undefined : redactSecrets(init.detail, init.redact);
        super(formatMessage({ ...init, route, graphMessage, detail }), init.cause === undefined ? undefined : { cause: init.cause });
        this.name = "GraphError";
        this.code = init.code;
        this.method = init.method;
        this.route = route;
        this.attempts = init.attempts;
        this.ambiguous = init.ambiguous ?? false;
        // Only own properties that carry a value, so logs and JSON stay short.
        if (init.status !== undefined) this.status = init.status;
        if (init.graphCode !== undefined) this.graphCode = init.graphCode;
        if (graphMessage !== undefined) this.graphMessage = graphMessage;
        if (init.requestId !== undefined) this.requestId = init.requestId;
        if (init.clientRequestId !== undefined) this.clientRequestId = init.clientRequestId;
        if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
        if (init.networkCode !== undefined) this.networkCode = init.networkCode;
        if (detail !== undefined) this.detail = detail;
    }
}

/** `error.code`, `error.message` and the ids of a Graph error body. */
export interface GraphErrorBody {
    code?: string;
    message?: string;
    requestId?: string;
    clientRequestId?: string;
}

/**
 * Reads `{"error":{"code","message","innerError":{"request-id","client-request-id"}}}`.
 * A body that is not JSON gives its first words as the message, unless it is markup.
 */
export function parseGraphErrorBody(text: string): GraphErrorBody {
    const trimmed = text.trim();
    if (trimmed === "") return {};
    let parsed: unknown;
    try {
        parsed = JSON.parse(trimmed);
    } catch {
        // Gateways answer with HTML pages; their text says nothing useful.
        if (trimmed.startsWith("<")) return {};
        return { message: trimmed.replace(/\s+/g, " ") };
    }
    const error = asRecord(asRecord(parsed)?.["error"]);
    if (!error) return {};
    const inner = asRecord(error["innerError"]) ?? asRecord(error["innererror"]);
    const out: GraphErrorBody = {};
    if (typeof error["code"] === "string" && error["code"] !== "") out.code = error["code"];
    if (typeof error["message"] === "string" && error["message"] !== "") out.message = error["message"];
    if (typeof inner?.["request-id"] === "string") out.requestId = inner["request-id"];
    if (typeof inner?.["client-request-id"] === "string") out.clientRequestId = inner["client-request-id"];
    return out;
}

const PRODUCT_KEY = /\b[A-Z0-9]{5}(?:-[A-Z0-9]{5}){4}\b/gi;
// OData quotes the literal it could not convert ("Cannot convert the literal '...'"): a
// quoted base64 run is a value from the request body (a hardware hash).
const QUOTED_BASE64 = /(['"])[A-Za-z0-9+/]{32,}={0,2}\1/g;
// An unquoted blob of 64+ characters is no word either. "/" is left out here, so the
// service paths Graph puts in messages (.../deviceManagement/windowsAutopilot...) stay.
const LONG_BLOB = /[A-Za-z0-9+]{64,}={0,2}/g;

/**
 * Replaces secrets by `***`: the given values, Windows product keys, quoted base64 literals
 * and long unbroken blobs (hardware hashes). Graph echoes rejected literals in some messages;
 * the given values are the reliable part, the patterns catch what a caller did not list.
 */
export function redactSecrets(text: string, values: readonly string[] = []): string {
    let out = text;
    // Longest first, so a value that contains another is replaced whole.
    for (const value of [...values].sort((a, b) => b.length - a.length)) {
        if (value.length >= 4) out = out.split(value).join("***");
    }
    return out.replace(PRODUCT_KEY, "***").replace(QUOTED_BASE64, "$1***$1").replace(LONG_BLOB, "***");
}

/** `route` with the method in front, unless it already starts with it. */
export function normalizeRoute(method: HttpMethod, route: string): string {
    return route.startsWith(method + " ") ? route : `${method} ${route}`;
}

type FormatInput = Omit<GraphErrorInit, "redact" | "cause">;

function describeAnswer(i: FormatInput): string {
    if (i.status === undefined) return i.detail ?? "no answer";
    const label = i.graphCode ?? STATUS_CODES[i.status] ?? "HTTP error";
    return `${i.status} ${label}${i.graphMessage ? `: ${i.graphMessage}` : ""}`;
}

function formatMessage(i: FormatInput): string {
    let what: string;
    switch (i.code) {
        case "GRAPH_RETRIES_EXHAUSTED":
            what = `gave up after ${plural(i.attempts, "attempt")} (${plural(Math.max(0, i.attempts - 1), "retry", "retries")}); last: ${describeAnswer(i)}`;
            break;
        case "GRAPH_AMBIGUOUS_WRITE":
            what =
                `${describeAnswer(i)}; not sent again because a ${i.method} to this route is not idempotent ` +
                `and Graph may have applied it: look for what it may have created or changed before writing again`;
            break;
        case "GRAPH_ABORTED":
            what = i.ambiguous ? "aborted by the caller after the request was sent; Graph may have applied it" : "aborted by the caller";
            break;
        default:
            what = describeAnswer(i);
    }
    const ids = [i.requestId && `request-id ${i.requestId}`, i.clientRequestId && `client-request-id ${i.clientRequestId}`].filter(Boolean);
    let message = `Graph ${i.route} failed: ${what}`;
    if (ids.length > 0) message += ` (${ids.join(", ")})`;
    if (i.hint) message += /[.!?]$/.test(message) ? ` ${i.hint}` : `. ${i.hint}`;
    return message;
}

function plural(n: number, one: string, many = one + "s"): string {
    return `${n} ${n === 1 ? one : many}`;
}

function truncate(s: string, max: number): string {
    return s.length <= max ? s : s.slice(0, max - 1) + "…";
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
