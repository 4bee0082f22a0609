/** Loads a Pulumi program folder (Pulumi.yaml + index.ts) the way the Node language host does. */
import * as fs from "fs";
import * as path from "path";

/** The project name from a folder's Pulumi.yaml. */
export function projectName(dir: string): string {
    const yaml = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
    const match = /^name:\s*(\S+)/m.exec(yaml);
    if (!match) throw new Error(`${dir}/Pulumi.yaml has no name`);
    return match[1];
}

/** A function that runs the folder's index.ts afresh (each run re-evaluates the program). */
export function programFrom(dir: string): () => unknown {
    const entry = path.join(dir, "index.ts");
    // The program's own modules are evaluated afresh; the package and its dependencies are not
    // (the root project is the package itself: its provider/ and test/ stay loaded).
    const shared = new Set(["node_modules", "provider", "test", "dist", "examples"]);
    return () => {
        for (const key of Object.keys(require.cache)) {
            const rel = path.relative(dir, key);
            if (!rel.startsWith("..") && !path.isAbsolute(rel) && !shared.has(rel.split(path.sep)[0])) {
                delete require.cache[key];
            }
        }
        // As Pulumi's Node language host: an exported function is the program; its result the outputs.
        const exported = require(entry);
        return typeof exported === "function" ? exported() : exported;
    };
}
