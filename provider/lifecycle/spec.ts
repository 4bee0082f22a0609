import type { GraphSender } from "../graph";
import type { GraphSession } from "../session";
import type { StepLimits } from "./bounds";
import type { ApiVersion } from "../schema/graphSchema";
import type { Tuning } from "../settings/table";
import type { CheckFailure, FieldSpec } from "./fields";
import type { Props } from "./values";

/** What an operation gets to talk to Graph and report progress. */
export interface LifecycleContext {
    /** The owner of the process's Graph state: its client, limits and the mechanisms that combine requests. */
    session: GraphSession;
    /** The session's client, or a step's view of it. */
    graph: GraphSender;
    log(line: string): void;
    /** Injected so waits (import polling) can be tested without sleeping. */
    sleep(ms: number): Promise<void>;
    now(): number;
    /**
     * Aborts when the step must stop: its time bound passed, or the host is being stopped (see
     * bounds.ts). Within a step, `graph` requests and `sleep` already listen to it.
     */
    signal?: AbortSignal;
    /** The step's bounds (config `autopilot:stepTimeoutSeconds`, `consistencyTimeoutSeconds`, ...). */
    limits?: StepLimits;
    /** The settings the step runs under; without them (tests), the defaults (`DEFAULT_TUNING`). */
    settings?: Tuning;
}

/** Where a group of changed fields is written. */
export interface WriteTarget {
    method: "PATCH" | "POST";
    path: string;
    route: string;
    /** API version of this route when it differs from the spec's. */
    apiVersion?: ApiVersion;
    /** Members every body on this route carries (e.g. `@odata.type`, or the id the odd beta route wants). */
    bodyExtras?: Props;
}

/** How an adopt-or-create step came out (imports, assignments): the object, how, and POSTs sent. */
export interface CreationOutcome {
    graph: Props;
    how: "posted" | "adopted" | "adopted after an ambiguous POST";
    posts: number;
}

/** What `create` found or made before the generic writes run. */
export interface CreatedObject {
    id: string;
    graph: Props;
    /** Fields the create already sent (so they are not written again). */
    written: string[];
    /**
     * True when this step made the object (POST), or adopted one a create of unknown outcome made:
     * Graph may not show it to reads yet, so the lifecycle reads back until it does.
     */
    fresh?: boolean;
    /**
     * Values the create learned that Graph's object does not hold (the profile a device's
     * assignment belongs to): the outputs keep them as they keep the program's inputs.
     */
    learned?: Props;
}

/**
 * The declarative description of one Graph object: its fields and routes, plus the few
 * behaviours that differ between objects (how an object comes to be, how it goes away).
 * The lifecycle code knows nothing about a particular object.
 */
export interface ResourceSpec {
    /** Class name, also the Pulumi type (`autopilot:<typeName>`). */
    typeName: string;
    /** Graph's `@odata.type` without the leading #. */
    graphType: string;
    apiVersion: ApiVersion;
    /** The output that holds the Graph id. */
    idOutput: string;
    fields: Record<string, FieldSpec>;
    /** Permission a 403 message names. */
    permission: string;
    /** Replace by deleting first (when two copies of the object cannot exist at once). */
    deleteBeforeReplace?: boolean;
    /** The Graph item path and its route template. */
    item(id: string, props: Props): { path: string; route: string };
    /** Where PATCH-routed fields go: `default` for `patch`, or the name of a `{ patch: name }` route. */
    patchTarget?(id: string, props: Props, routeName: string): WriteTarget;
    /** Cross-field checks (e.g. "deviceId or serialNumber"). */
    validate?(inputs: Props): CheckFailure[];
    /** Finds (adopt) or makes (POST) the object. */
    create(ctx: LifecycleContext, inputs: Props): Promise<CreatedObject>;
    /**
     * Graph's view of an object create just made, from a read shared with other creates (a
     * listing), or undefined: then it is read back by GET until Graph shows it.
     */
    sharedReadBack?(ctx: LifecycleContext, id: string, inputs: Props, posted: Props): Promise<Props | undefined>;
    /** Runs after the writes of create: e.g. waits for an import to finish. May throw. */
    settle?(ctx: LifecycleContext, id: string, graph: Props, inputs: Props): Promise<Props>;
    /** Whether an update must settle again (e.g. an import that was still pending). */
    needsSettle?(state: Props, inputs: Props): boolean;
    /** How long `settle` may legitimately wait (s): added to the derived step bound (e.g. importTimeoutSeconds). */
    settleSeconds?(inputs: Props): number;
    /**
     * True when the Graph object was removed on purpose and the state is all there is (an import
     * record removed once its device exists): read returns the state as is, delete sends nothing.
     */
    goneByDesign?(state: Props): boolean;
    /** Removes or releases the object. */
    delete(ctx: LifecycleContext, id: string, props: Props): Promise<void>;
    /** Outputs computed from the Graph object beyond the fields (e.g. `autopilotDeviceId`). */
    extraOutputs?(graph: Props): Props;
    /**
     * The error a step reports instead of `e` when this object's routes explain it better (a
     * collection the current service no longer has); undefined keeps `e`.
     */
    explainError?(e: unknown): Error | undefined;
}
