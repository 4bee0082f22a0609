/**
 * A resource class from its spec: the class, its `Args` and its output types all follow from the
 * spec's fields, so a new Graph object is one spec file and the compiler checks the rest.
 *
 * - Args: every field that is not `computed`, optional (the spec's `validate` says what a create
 *   needs), each a `pulumi.Input` of the field's value type (choices as their literal union).
 * - Outputs: every field and the id output, as `pulumi.Output` (null where Graph holds none).
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

type InputNames<F extends Record<string, FieldSpec>> = { [P in keyof F]: F[P]["write"] extends "computed" ? never : P }[keyof F];

/** The inputs of a resource class whose spec has these fields. */
export type ArgsOf<F extends Record<string, FieldSpec>> = { [P in InputNames<F>]?: KindInput<F[P]["kind"]> };

/** The outputs of a resource class whose spec has these fields and this id output. */
export type OutputsOf<F extends Record<string, FieldSpec>, Id extends string> = {
    readonly [P in keyof F]: pulumi.Output<KindValue<F[P]["kind"]> | null>;
} & { readonly [P in Id]: pulumi.Output<string> };

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
