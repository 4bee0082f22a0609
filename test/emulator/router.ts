/**
 * Route table matching: versioned path patterns with `{param}` segments, Graph's answer for an
 * unknown segment, and the OData template/path Intune quotes in "No method match" errors.
 */
import { badRequest, segmentNotFound } from "./errors";
import type { EmulatorState } from "./state";
import type { ApiVersion } from "./types";

/** An answer before headers are added. */
export interface Reply {
    status: number;
    body?: unknown;
    headers?: Record<string, string>;
    /** The fault injected into this answer (recorded on the request, never sent). */
    fault?: string;
    /**
     * Called when the answer reaches the client (not when the connection is reset or the client
     * gave up first): a 429's Retry-After counts from then on (early-retry tracking).
     */
    delivered?: () => void;
}

/** What a handler receives. */
export interface RouteContext {
    state: EmulatorState;
    version: ApiVersion;
    method: string;
    /** Full path with version, without query. */
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    /** Values of the route's `{param}` segments. */
    params: Record<string, string>;
    /** Intune's OData template for this route, e.g. `~/singleton/navigation/key`. */
    template: string;
    /** Path as Intune prints it: keys in parentheses, e.g. `deviceManagement/x(<id>)`. */
    odataPath: string;
    /** Absolute URL of this request without query (for next links). */
    selfUrl: string;
    /** Request-id of this answer (also used by $batch items). */
    requestId: string;
    /** The parsed body; throws 400 when the body was not valid JSON. */
    body(): unknown;
    /** True when this request is an item of a $batch. */
    viaBatch: boolean;
    /** Who throttling counts this request for (chaos.ts `clientOf`); batch items inherit the envelope's. */
    client: string;
}

/** A handler answers or throws a GraphError. */
export type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

/** One route. Pattern segments: literals, or `{name}` for a key. */
export interface RouteDef {
    pattern: string;
    versions: readonly ApiVersion[];
    methods: Partial<Record<string, Handler>>;
    /** True when the last literal segment is a bound action (template says `action`). */
    action?: boolean;
}

/** The result of matching a path. */
export interface RouteMatch {
    route: RouteDef;
    params: Record<string, string>;
    template: string;
    odataPath: string;
}

const VERSIONS: readonly ApiVersion[] = ["beta", "v1.0"];

/** Splits `/beta/a/b` into the version and decoded segments; 400 for an unknown version. */
export function splitPath(path: string): { version: ApiVersion; segments: string[] } {
    const parts = path.split("/").filter((s) => s !== "");
    const version = parts[0] as ApiVersion;
    if (!VERSIONS.includes(version)) {
        throw badRequest(`Invalid version: '${parts[0] ?? ""}'. Use /beta or /v1.0.`);
    }
    return {
        version,
        segments: parts.slice(1).map((s) => {
            try {
                return decodeURIComponent(s);
            } catch {
                return s;
            }
        }),
    };
}

// An action segment may be namespace-qualified: microsoft.graph.updateDeviceProperties.
function literalMatches(lit: string, seg: string): boolean {
    return seg === lit || seg === `microsoft.graph.${lit}`;
}

/** Finds the route for the segments, preferring literal matches over keys; throws 400 for an unknown segment. */
export function matchRoute(routes: readonly RouteDef[], version: ApiVersion, segments: string[]): RouteMatch {
    let best: { route: RouteDef; params: Record<string, string>; literals: number } | undefined;
    let deepest = 0;
    for (const route of routes) {
        if (!route.versions.includes(version)) continue;
        const pat = route.pattern.split("/");
        const params: Record<string, string> = {};
        let literals = 0;
        let i = 0;
        for (; i < pat.length && i < segments.length; i++) {
            const p = pat[i];
            if (p.startsWith("{")) params[p.slice(1, -1)] = segments[i];
            else if (literalMatches(p, segments[i])) literals++;
            else break;
        }
        deepest = Math.max(deepest, i);
        if (i === pat.length && i === segments.length && (!best || literals > best.literals)) {
            best = { route, params, literals };
        }
    }
    if (!best) throw segmentNotFound(segments[Math.min(deepest, segments.length - 1)] ?? "");
    return { route: best.route, params: best.params, ...describe(best.route, segments) };
}

function describe(route: RouteDef, segments: string[]): { template: string; odataPath: string } {
    const pat = route.pattern.split("/");
    const kinds: string[] = [];
    let odataPath = "";
    pat.forEach((p, i) => {
        if (p.startsWith("{")) {
            kinds.push("key");
            odataPath += `(${segments[i]})`;
        } else {
            if (i === 0) kinds.push(p === "deviceManagement" ? "singleton" : "entityset");
            else if (route.action && i === pat.length - 1) kinds.push("action");
            else kinds.push("navigation");
            odataPath += (i === 0 ? "" : "/") + segments[i];
        }
    });
    return { template: "~/" + kinds.join("/"), odataPath };
}
