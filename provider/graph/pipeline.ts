import type { HttpMethod, RequiredPermissions } from "./types";

/**
 * The request as the policies see it. One object lives for the whole logical request:
 * policies set headers on it and every attempt sends it again.
 */
export interface PipelineRequest {
    readonly method: HttpMethod;
    readonly url: URL;
    /** Route template with the method first, e.g. `GET /deviceManagement/...{id}`. */
    readonly route: string;
    /** Header names in lower case. */
    readonly headers: Record<string, string>;
    /** The JSON text, if any. */
    readonly body?: string;
    readonly idempotent: boolean;
    readonly signal?: AbortSignal;
    /** Limit for one attempt. */
    readonly timeoutMs: number;
    /** The path without base URL and version, for the permission table of 403 messages. */
    readonly graphPath: string;
    /** Overrides the permission table. */
    readonly permissions?: RequiredPermissions;
    /** Values never to show in an error message. */
    readonly redact: readonly string[];
    /** HTTP requests sent so far for this logical request; the transport counts them. */
    attempts: number;
    /** How many requests Graph counts this one as (the items of a `$batch` envelope); 1 when absent. */
    readonly weight?: number;
    /**
     * When the request last went on the wire (after the throttle gate, the pace and the permit), set
     * by the adaptive concurrency policy: a throttled `$batch` item lowers the limits only when its
     * envelope was sent after the last decrease.
     */
    sentAtMs?: number;
}

/** An HTTP answer of any status, body read to the end. */
export interface PipelineResponse {
    readonly status: number;
    /** Header names in lower case; repeated headers joined with ", ". */
    readonly headers: Record<string, string>;
    readonly bodyText: string;
}

/** Sends the request further down the pipeline and resolves with the answer. */
export type SendRequest = (request: PipelineRequest) => Promise<PipelineResponse>;

/**
 * One step of the pipeline, in the shape of Azure core-rest-pipeline's policies: it may
 * change the request, call `next` zero or more times, and look at or replace the answer.
 */
export interface PipelinePolicy {
    readonly name: string;
    sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse>;
}

/** Chains the policies, first one outermost, in front of the transport. */
export function composePipeline(policies: readonly PipelinePolicy[], transport: SendRequest): SendRequest {
    return policies.reduceRight<SendRequest>((next, policy) => (request) => policy.sendRequest(request, next), transport);
}
