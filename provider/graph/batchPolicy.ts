import { randomUUID } from "node:crypto";
import { requestWeights, sentTimes } from "./adaptiveConcurrency";
import { GraphError } from "./errors";
import { abortedError } from "./httpError";
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "./pipeline";
import { parseRetryAfterMs } from "./retryAfter";

/** Graph's limit on requests per JSON batch. */
export const MAX_BATCH_ITEMS = 20;
/** How long a batch waits for one more GET, by default (each arrival extends it, up to the max). */
export const DEFAULT_BATCH_WINDOW_MS = 20;
/** The longest the first GET of a batch waits for company, by default. */
export const DEFAULT_BATCH_MAX_WAIT_MS = 200;

export interface BatchPolicyOptions {
  /** The configured Graph origin and base path (a proxy may serve Graph under a prefix). */
  graphOrigin: string;
  basePath: string;
  /** Items per batch, 2..20; default 20. */
  maxItems?: number;
  /** How long a batch waits for one more GET (each arrival extends it); default 20 ms. */
  windowMs?: number;
  /** The longest the first GET of a batch waits for company; default 200 ms. */
  maxWaitMs?: number;
  /** Wall clock (for HTTP-date Retry-After values). */
  now?: () => number;
  /**
   * How many batches (or lone GETs) this policy may have on the wire at once; while that many are
   * out, GETs keep gathering (up to 20 a batch) instead of going out in small batches that would
   * only wait for a connection permit anyway. Default: no limit.
   */
  capacity?: () => number;
  /** Called once per batch sent, with its size (for counters). */
  onBatch?: (items: number) => void;
  /**
   * Called once per batch whose items were throttled: how many, the longest wait they were told,
   * and when the batch was handed down the pipeline (for adaptive concurrency).
   */
  onItemsThrottled?: (count: number, longestMs: number | undefined, sentAtMs: number) => void;
}

interface Waiting {
  request: PipelineRequest;
  /** Path and query relative to the version segment, as a batch item's `url`. */
  relativeUrl: string;
  resolve(response: PipelineResponse): void;
  reject(error: unknown): void;
  settled: boolean;
  onAbort?: () => void;
}

interface Queue {
  version: string;
  items: Waiting[];
  timer?: NodeJS.Timeout;
  /** Its window passed (or it is full) and it waits for a free slot. */
  due?: boolean;
  /** When the first GET now waiting arrived (Date.now()). */
  firstAt?: number;
}

/**
 * Coalesces GETs issued within a short window into JSON `$batch` requests of up to 20 items,
 * transparently: each caller still gets its own answer (status, headers, body) as if it had sent
 * the GET alone, so the retry policy above handles every item on its own. A GET with no company
 * within the window goes out as a plain GET.
 *
 * Graph answers a batch with 200 whatever its items did. Throttled items (429, or 503 with a wait)
 * all get the longest wait any item of that batch was told, so they come back together after it
 * and share a batch again rather than trickling back one by one. If the batch itself fails (a
 * throttled, failed or lost envelope), every item gets that outcome and is retried on its own.
 *
 * It sits between the retry policy and the bearer-token policy: the envelope gets the token, holds
 * one concurrency permit and counts as one HTTP request; each item counts as an attempt of its own
 * logical request.
 */
export function batchPolicy(options: BatchPolicyOptions): PipelinePolicy {
  const maxItems = Math.min(MAX_BATCH_ITEMS, Math.max(2, Math.floor(options.maxItems ?? MAX_BATCH_ITEMS)));
  const windowMs = Math.max(0, options.windowMs ?? DEFAULT_BATCH_WINDOW_MS);
  const maxWaitMs = Math.max(windowMs, options.maxWaitMs ?? DEFAULT_BATCH_MAX_WAIT_MS);
  const now = options.now ?? Date.now;
  const queues = new Map<string, Queue>();
  const capacity = options.capacity ?? (() => Infinity);
  let inFlight = 0;
  let next: SendRequest | undefined;

  const versionPrefix = (request: PipelineRequest): { version: string; relativeUrl: string } | undefined => {
    if (request.method !== "GET" || request.body !== undefined || request.url.origin !== options.graphOrigin) return undefined;
    const path = request.url.pathname;
    const base = options.basePath;
    if (!path.startsWith(base + "/")) return undefined;
    const m = /^\/(beta|v1\.0)(\/.*)$/.exec(path.slice(base.length));
    if (!m || /\/\$batch$/i.test(m[2])) return undefined;
    return { version: m[1], relativeUrl: m[2] + request.url.search };
  };

  /** Sends the queue's next batch if a slot is free; otherwise the queue waits for one. */
  const flush = (queue: Queue): void => {
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = undefined;
    queue.due = true;
    if (inFlight >= Math.max(1, capacity())) return;
    const items = queue.items.splice(0, maxItems).filter((w) => !w.settled);
    queue.due = false;
    queue.firstAt = undefined;
    if (queue.items.length === 0) queues.delete(queue.version);
    else schedule(queue);
    if (items.length === 0) return;
    inFlight++;
    void send(queue.version, items).finally(() => {
      inFlight--;
      // A slot is free: the fullest waiting queue goes first.
      const waiting = [...queues.values()].filter((q) => q.due || q.items.length >= maxItems).sort((a, b) => b.items.length - a.items.length);
      if (waiting.length > 0) flush(waiting[0]);
    });
  };

  const schedule = (queue: Queue): void => {
    if (queue.items.length >= maxItems || queue.due) {
      flush(queue);
      return;
    }
    // GETs that keep coming keep the batch open (up to maxWaitMs after its first one).
    const now = Date.now();
    queue.firstAt ??= now;
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = setTimeout(() => flush(queue), Math.max(0, Math.min(windowMs, queue.firstAt + maxWaitMs - now)));
  };

  const settle = (w: Waiting, outcome: { response?: PipelineResponse; error?: unknown }): void => {
    if (w.settled) return;
    w.settled = true;
    if (w.onAbort) w.request.signal?.removeEventListener("abort", w.onAbort);
    if (outcome.error !== undefined) w.reject(outcome.error);
    else w.resolve(outcome.response as PipelineResponse);
  };

  async function send(version: string, items: Waiting[]): Promise<void> {
    const sendNext = next as SendRequest;
    if (items.length === 1) {
      // Alone: a plain GET, exactly what the caller asked for.
      const w = items[0];
      try {
        settle(w, { response: await sendNext(w.request) });
      } catch (error) {
        settle(w, { error });
      }
      return;
    }
    for (const w of items) w.request.attempts++;
    options.onBatch?.(items.length);
    const envelope = envelopeFor(version, items);
    // Graph counts every item against its budgets.
    requestWeights.set(envelope, items.length);
    const sentAtMs = now();
    let response: PipelineResponse;
    try {
      response = await sendNext(envelope);
    } catch (error) {
      for (const w of items) settle(w, { error });
      return;
    }
    if (response.status !== 200) {
      // The envelope was refused or failed: each item has that outcome.
      for (const w of items) settle(w, { response });
      return;
    }
    let answers: Map<string, PipelineResponse>;
    try {
      answers = splitBatchAnswer(response);
    } catch (cause) {
      const error = new GraphError({
        code: "GRAPH_INVALID_RESPONSE",
        method: "POST",
        route: envelope.route,
        attempts: envelope.attempts,
        requestId: response.headers["request-id"],
        clientRequestId: envelope.headers["client-request-id"],
        detail: "answered 200 to a $batch with a body that is not a batch answer",
        cause,
      });
      for (const w of items) settle(w, { error });
      return;
    }
    // Throttled items wait as long as the longest wait of the batch, then come back together.
    const nowMs = now();
    let longestMs: number | undefined;
    let throttled = 0;
    for (const answer of answers.values()) {
      if (!isThrottled(answer, nowMs)) continue;
      throttled++;
      const ms = parseRetryAfterMs(answer.headers, nowMs);
      if (ms !== undefined) longestMs = Math.max(longestMs ?? 0, ms);
    }
    // When the envelope really left (after waiting for its turn), if the limiter knows it.
    if (throttled > 0) options.onItemsThrottled?.(throttled, longestMs, sentTimes.get(envelope) ?? sentAtMs);
    items.forEach((w, i) => {
      let answer = answers.get(String(i + 1));
      if (!answer) {
        answer = syntheticAnswer(503, "ServiceUnavailable", `the $batch answer had no item ${i + 1}`, response.headers["request-id"]);
      } else if (longestMs !== undefined && isThrottled(answer, nowMs)) {
        answer = { ...answer, headers: { ...withoutRetryHeaders(answer.headers), "retry-after": (longestMs / 1000).toFixed(3) } };
      }
      settle(w, { response: answer });
    });
  }

  return {
    name: "batchPolicy",
    sendRequest(request, nextPolicy) {
      next = nextPolicy;
      const target = versionPrefix(request);
      if (!target) return nextPolicy(request);
      if (request.signal?.aborted) return nextPolicy(request);
      return new Promise<PipelineResponse>((resolve, reject) => {
        const w: Waiting = { request, relativeUrl: target.relativeUrl, resolve, reject, settled: false };
        if (request.signal) {
          w.onAbort = () =>
            settle(w, {
              error: abortedError(request, request.signal?.reason),
            });
          request.signal.addEventListener("abort", w.onAbort, { once: true });
        }
        let queue = queues.get(target.version);
        if (!queue) {
          queue = { version: target.version, items: [] };
          queues.set(target.version, queue);
        }
        queue.items.push(w);
        schedule(queue);
      });
    },
  };

  function envelopeFor(version: string, items: Waiting[]): PipelineRequest {
    const body = JSON.stringify({
      requests: items.map((w, i) => ({
        id: String(i + 1),
        method: "GET",
        url: w.relativeUrl,
        headers: { "client-request-id": w.request.headers["client-request-id"] ?? randomUUID() },
      })),
    });
    return {
      method: "POST",
      url: new URL(`${options.graphOrigin}${options.basePath}/${version}/$batch`),
      route: "POST /$batch",
      headers: { accept: "application/json", "content-type": "application/json", "client-request-id": randomUUID() },
      body,
      // A batch of GETs may go again.
      idempotent: true,
      timeoutMs: Math.max(...items.map((w) => w.request.timeoutMs)),
      graphPath: "/$batch",
      redact: [],
      attempts: 0,
    };
  }
}

function isThrottled(answer: PipelineResponse, nowMs: number): boolean {
  return answer.status === 429 || (answer.status === 503 && parseRetryAfterMs(answer.headers, nowMs) !== undefined);
}

function withoutRetryHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k !== "retry-after" && k !== "retry-after-ms" && k !== "x-ms-retry-after-ms") out[k] = v;
  }
  return out;
}

function syntheticAnswer(status: number, code: string, message: string, requestId?: string): PipelineResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...(requestId ? { "request-id": requestId } : {}) },
    bodyText: JSON.stringify({ error: { code, message } }),
  };
}

/** The items of a `$batch` answer by id, each as an HTTP answer of its own. */
export function splitBatchAnswer(response: PipelineResponse): Map<string, PipelineResponse> {
  const parsed = JSON.parse(response.bodyText) as { responses?: unknown };
  if (!parsed || !Array.isArray(parsed.responses)) throw new TypeError("no 'responses' array");
  const out = new Map<string, PipelineResponse>();
  for (const raw of parsed.responses as Array<Record<string, unknown>>) {
    if (!raw || typeof raw.id !== "string" || typeof raw.status !== "number") throw new TypeError("an item lacks id or status");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((raw.headers as Record<string, unknown>) ?? {})) headers[k.toLowerCase()] = String(v);
    // The envelope's request-id names the answer when the item has none.
    if (headers["request-id"] === undefined && response.headers["request-id"] !== undefined) headers["request-id"] = response.headers["request-id"];
    let bodyText = "";
    if (typeof raw.body === "string") {
      bodyText = raw.body;
    } else if (raw.body !== undefined && raw.body !== null) {
      bodyText = JSON.stringify(raw.body);
      headers["content-type"] ??= "application/json";
    }
    out.set(raw.id, { status: raw.status, headers, bodyText });
  }
  return out;
}
