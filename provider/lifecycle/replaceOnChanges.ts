import type { Props } from "./values";

/**
 * The input that hands the `replaceOnChanges` resource option to the provider. Pulumi's engine
 * applies that option to the changed keys a provider's Diff reports, and Pulumi's dynamic-provider
 * host reports none (only changes, replaces and deleteBeforeReplace): under `pulumi up` the option
 * did nothing for these resources, and a changed hash became an in-place update. So the resource
 * class registers the option's paths as this input, and `diff` reports the changed fields they
 * name as replacements itself. The `__` prefix keeps it out of the CLI's display.
 */
export const REPLACE_ON_CHANGES = "__replaceOnChanges";

/** The option's paths as registered, or none (a state or program without the option). */
export function replaceOnChangesOf(news: Props): string[] {
    const paths = news[REPLACE_ON_CHANGES];
    return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === "string") : [];
}

/** `target.groupId` / `items[0].name` -> ["target", "groupId"] / ["items", "0", "name"]. */
function segments(path: string): string[] {
    return path
        .replace(/\[(\d+)\]/g, ".$1")
        .split(".")
        .filter((s) => s !== "");
}

function valueAt(bag: unknown, path: string[]): unknown {
    let value = bag;
    for (const s of path) {
        if (value === null || typeof value !== "object") return undefined;
        value = (value as Props)[s];
    }
    return value;
}

/**
 * Which of the changed fields the option's paths force to replace, as Pulumi reads the option:
 * `*` names every property, a name that property, a nested path (`target.groupId`) a change at that
 * path only (a `*` segment inside it: anything below). A field the program leaves out is not managed,
 * so it never forces a replacement.
 */
export function forcedReplacements(changed: string[], paths: string[], olds: Props, news: Props): string[] {
    return changed.filter((name) =>
        paths.some((path) => {
            if (path === "*") return true;
            const [top, ...rest] = segments(path);
            if (top !== name) return false;
            const below = rest.indexOf("*") >= 0 ? rest.slice(0, rest.indexOf("*")) : rest;
            if (below.length === 0) return true;
            const desired = valueAt(news[name], below);
            return desired !== undefined && JSON.stringify(desired) !== JSON.stringify(valueAt(olds[name], below));
        }),
    );
}
