import type { GraphRequest, GraphSender } from "./types";

/**
 * The pages of a listing: `first`, then each `@odata.nextLink`, each requested only once the
 * previous page was taken (a caller that stops early sends nothing more). Each page: its objects
 * as Graph sent them, and whether another page follows.
 */
export async function* pages<T = Record<string, unknown>>(graph: GraphSender, first: GraphRequest): AsyncGenerator<{ value: T[] | undefined; more: boolean }> {
    const { query: _query, ...rest } = first;
    let res = await graph.send<{ value?: T[]; "@odata.nextLink"?: string }>(first);
    for (;;) {
        const next = res.body?.["@odata.nextLink"];
        yield { value: res.body?.value, more: !!next };
        if (!next) return;
        res = await graph.send({ ...rest, absoluteUrl: next });
    }
}

/** Every object of a listing, through every page. */
export async function listAll<T = Record<string, unknown>>(graph: GraphSender, first: GraphRequest): Promise<T[]> {
    const out: T[] = [];
    for await (const page of pages<T>(graph, first)) out.push(...(page.value ?? []));
    return out;
}
