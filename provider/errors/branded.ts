/** A check that `value` is an instance of a branded class, from whichever copy of the package made it. */
export type BrandCheck<T> = (value: unknown) => value is T;

/**
 * Brands the instances of an error class so they are recognised across copies of this package, and
 * returns the check. A program can load the package twice (the copy its `node_modules` holds and the
 * copy the dynamic-provider host loads, or two installed versions), and then a plain `instanceof` is
 * false for the other copy's errors. `Symbol.for` gives the same symbol in every copy, so the brand
 * holds where the prototype chain does not; `instanceof cls` follows the brand too (as undici's errors
 * do), while a subclass keeps the ordinary prototype check. The symbol is `pulumi-autopilot.<name>`:
 * copies already released check that key, so `name` never changes.
 */
export function brandClass<T extends object>(cls: abstract new (...args: never[]) => T, name: string): BrandCheck<T> {
    const brand = Symbol.for(`pulumi-autopilot.${name}`);
    // On the prototype and not enumerable, so logs and JSON of the error do not show it.
    Object.defineProperty(cls.prototype, brand, { value: true });
    const check = (value: unknown): value is T => typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
    Object.defineProperty(cls, Symbol.hasInstance, {
        value(this: unknown, value: unknown): boolean {
            return this === cls ? check(value) : Function.prototype[Symbol.hasInstance].call(this, value);
        },
    });
    return check;
}
