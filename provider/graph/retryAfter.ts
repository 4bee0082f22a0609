import type { PipelineResponse } from "./pipeline";

/**
 * Headers that say how long to wait, in the order they are trusted (as Azure
 * core-rest-pipeline does): the millisecond ones are more precise than `Retry-After`.
 */
export const RETRY_AFTER_HEADERS = ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"] as const;

/**
 * The wait an answer asks for, in milliseconds (0 for "now" or a date already past), or
 * `undefined` when none of {@link RETRY_AFTER_HEADERS} is present and readable.
 * `headers` has lower-case names; `nowMs` is the clock an HTTP date is measured against.
 * Never rounds down: "2.128" is 2128 ms, "0.0001" is 1 ms.
 */
export function parseRetryAfterMs(headers: Readonly<Record<string, string | undefined>>, nowMs: number): number | undefined {
    for (const name of RETRY_AFTER_HEADERS) {
        const value = headers[name];
        if (value === undefined) continue;
        const ms = name === "retry-after" ? parseRetryAfterValue(value, nowMs) : parseDecimalMs(value);
        if (ms !== undefined) return ms;
    }
    return undefined;
}

/** A `Retry-After` value: decimal seconds ("10", "2.128") or an HTTP date. */
export function parseRetryAfterValue(value: string, nowMs: number): number | undefined {
    const v = value.trim();
    const seconds = /^(\d+)(?:\.(\d*))?$/.exec(v);
    if (seconds) {
        // Exact decimal arithmetic: 0.07 * 1000 in floating point is 70.00000000000001.
        const whole = Number(seconds[1]) * 1000;
        const fraction = seconds[2] ?? "";
        const millis = Number((fraction + "000").slice(0, 3));
        const beyondMillis = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
        return whole + millis + beyondMillis;
    }
    // An HTTP date names a weekday or month; this also keeps Date.parse away from "-1".
    if (!/[a-z]/i.test(v)) return undefined;
    const at = Date.parse(v);
    return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function parseDecimalMs(value: string): number | undefined {
    const v = value.trim();
    return /^\d+(?:\.\d*)?$/.test(v) ? Math.ceil(Number(v)) : undefined;
}

/** 429, or 503 with a wait header: Graph's throttling answers. `nowMs` is the injected clock's time. */
export function isThrottlingResponse(response: PipelineResponse, nowMs: number): boolean {
    return response.status === 429 || (response.status === 503 && parseRetryAfterMs(response.headers, nowMs) !== undefined);
}
