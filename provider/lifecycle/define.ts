/**
 * A resource class from its spec: the class, its `Args` and its output types all follow from the
 * spec's fields, so a new Graph object is one spec file and the compiler checks the rest.
 *
 * - Args: every field that is not `computed`, optional (the spec's `validate` says what a create
 *   needs), each a `pulumi.Input` of the field's value type (choices as their literal union).
 * - Outputs: every field, as `pulumi.Output` of what can be there (see {@link OutputsOf}).
 *
 * Both are mapped over the spec's field table, so each property carries the TSDoc written on the
 * field's key in the spec: the spec is the one place a property is described.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FieldKind, FieldSpec } from "./fields";
import { AutopilotResource, AutopilotResourceOptions } from "./resource";
import type { ResourceSpec } from "./spec";

/** The value a field of this kind holds in a program. */
export type KindValue<K extends FieldKind> = K extends { type: "choice"; values: readonly (infer V)[] }
    ? V
    : K extends { type: "boolean" }
      ? boolean
      : K extends { type: "integer" }
        ? number
        : K extends { type: "stringList" }
          ? string[]
          : K extends { type: "object"; fields: infer F extends Record<string, FieldSpec> }
            ? { [P in keyof F]?: KindValue<F[P]["kind"]> }
            : string;

/** The same value as a program may give it: members of an object may be Inputs too. */
export type KindInput<K extends FieldKind> = K extends { type: "object"; fields: infer F extends Record<string, FieldSpec> }
    ? pulumi.Input<{ [P in keyof F]?: KindInput<F[P]["kind"]> }>
    : pulumi.Input<KindValue<K>>;

/** The inputs of a resource class whose spec has these fields. */
export type ArgsOf<F extends Record<string, FieldSpec>> = {
    // `-readonly`: the field table is `as const`, and a program may build its args step by step.
    -readonly [P in keyof F as F[P]["write"] extends "computed" ? never : P]?: KindInput<F[P]["kind"]>;
};

/** A field's value as the outputs hold it: members of an object may be null (Graph's nullable properties). */
export type KindOutput<K extends FieldKind> = K extends { type: "object"; fields: infer F extends Record<string, FieldSpec> }
    ? { [P in keyof F]?: KindOutput<F[P]["kind"]> | null }
    : KindValue<K>;

/** Whether the provider writes a value for this field into every output (a setting's default, or `alwaysSet`). */
type AlwaysSet<S> = S extends { default: unknown } ? true : S extends { alwaysSet: true } ? true : false;

/**
 * The outputs of a resource class whose spec has these fields and this id output:
 * - the id output: `Output<string>`;
 * - a field the provider always writes (a setting with a default, or `alwaysSet`): `Output<T>`;
 * - any other field: `Output<T | null | undefined>`: null when Graph holds no value (the provider
 *   writes null, and the program sees null), undefined when the state lacks the field (a state
 *   written by an earlier version of this package, until the resource's next update or refresh).
 */
export type OutputsOf<F extends Record<string, FieldSpec>, Id extends string> = {
    readonly [P in keyof F]: P extends Id
        ? pulumi.Output<string>
        : AlwaysSet<F[P]> extends true
          ? pulumi.Output<KindValue<F[P]["kind"]>>
          : pulumi.Output<KindOutput<F[P]["kind"]> | null | undefined>;
};

/** A spec whose field table keeps its literal types (declare it `as const satisfies ...`). */
export type TypedSpec<F extends Record<string, FieldSpec>, Id extends string> = ResourceSpec & { fields: F; idOutput: Id };

/** The class {@link resourceClass} makes. */
export interface ResourceClass<F extends Record<string, FieldSpec>, Id extends string> {
    new (name: string, args: ArgsOf<F>, opts?: AutopilotResourceOptions): AutopilotResource & OutputsOf<F, Id>;
    /** The spec the runtime looks the type up by (`spec.typeName`). */
    readonly spec: ResourceSpec;
}

/** The Pulumi resource class of a spec. */
export function resourceClass<F extends Record<string, FieldSpec>, Id extends string>(spec: TypedSpec<F, Id>): ResourceClass<F, Id> {
    const cls = class extends AutopilotResource {
        static readonly spec: ResourceSpec = spec;
        constructor(name: string, args: ArgsOf<F>, opts?: AutopilotResourceOptions) {
            super(spec, name, args as Record<string, unknown>, opts);
        }
    };
    // Stack traces and `instanceof` checks read as the Graph object.
    Object.defineProperty(cls, "name", { value: spec.typeName });
    return cls as unknown as ResourceClass<F, Id>;
}
