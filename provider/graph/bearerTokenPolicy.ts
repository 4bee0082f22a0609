import { abortedError } from "./httpError";
import type { PipelinePolicy, PipelineRequest } from "./pipeline";
import type { TokenSource } from "./types";

/** Where tokens come from and which origin may receive them. */
export interface BearerTokenPolicyOptions {
    tokenSource: TokenSource;
    /** The configured Graph origin, e.g. "https://graph.microsoft.com". */
    graphOrigin: string;
    logger?: (line: string) => void;
    /** Called when the request is sent again with a fresh token (for counters). */
    onResend?: (request: PipelineRequest) => void;
}

/**
 * Sets `Authorization: Bearer <token>` on requests to the configured Graph origin and on
 * no other (an `@odata.nextLink` to another host gets no token). After a 401 from Graph it
 * drops the cached token and sends once more with a fresh one: once per logical request,
 * so a token Graph keeps refusing ends in the 401 and not in a loop.
 *
 * It sits inside the retry policy, so every attempt asks the token source (a cache hit)
 * and an attempt after a long Retry-After wait does not carry a token that expired meanwhile.
 */
export function bearerTokenPolicy(options: BearerTokenPolicyOptions): PipelinePolicy {
    const { tokenSource, graphOrigin, logger, onResend } = options;
    const refreshed = new WeakSet<PipelineRequest>();

    const authorize = async (request: PipelineRequest): Promise<string> => {
        let token: string;
        try {
            token = await tokenSource.getToken(request.signal);
        } catch (err) {
            // The token source's own error already says which credential failed, without secrets.
            throw request.signal?.aborted ? abortedError(request, err) : err;
        }
        request.headers["authorization"] = `Bearer ${token}`;
        return token;
    };

    return {
        name: "bearerTokenPolicy",
        async sendRequest(request, next) {
            if (request.url.origin !== graphOrigin) {
                delete request.headers["authorization"];
                return next(request);
            }
            const sent = await authorize(request);
            const response = await next(request);
            if (response.status !== 401 || !tokenSource.invalidate || refreshed.has(request)) {
                return response;
            }
            refreshed.add(request);
            logger?.(`graph: ${request.route} -> 401; fetching a new token and sending once more`);
            // Many requests refused with the same token lead to one new token, not one each.
            tokenSource.invalidate(sent);
            await authorize(request);
            onResend?.(request);
            return next(request);
        },
    };
}
