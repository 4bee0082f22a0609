// The provider's error classes recognise each other's instances across two copies of the package
// (the program's copy and the one the provider host loads), and nothing else.
import * as assert from "assert";
import * as path from "path";
import { inspect } from "util";
import * as auth from "../../../provider/auth/tokens";
import * as fleet from "../../../provider/fleet/fleet";
import * as graph from "../../../provider/graph/errors";
import * as bounds from "../../../provider/lifecycle/bounds";
import * as lifecycle from "../../../provider/lifecycle/errors";

const PROVIDER_DIR = path.resolve(__dirname, "../../../provider") + path.sep;
const MODULES = {
    auth: require.resolve("../../../provider/auth/tokens"),
    fleet: require.resolve("../../../provider/fleet/fleet"),
    graph: require.resolve("../../../provider/graph/errors"),
    bounds: require.resolve("../../../provider/lifecycle/bounds"),
    lifecycle: require.resolve("../../../provider/lifecycle/errors"),
};
type Copy = { auth: typeof auth; fleet: typeof fleet; graph: typeof graph; bounds: typeof bounds; lifecycle: typeof lifecycle };

/**
 * A second copy of every provider module, as a second install of the package gives: the require
 * cache is emptied of provider/ while it loads, then put back, so the rest of the run keeps copy A.
 */
function loadSecondCopy(): Copy {
    const isProvider = (file: string): boolean => file.startsWith(PROVIDER_DIR);
    const saved = Object.entries(require.cache).filter(([file]) => isProvider(file));
    for (const [file] of saved) delete require.cache[file];
    try {
        return {
            auth: require(MODULES.auth),
            fleet: require(MODULES.fleet),
            graph: require(MODULES.graph),
            bounds: require(MODULES.bounds),
            lifecycle: require(MODULES.lifecycle),
        };
    } finally {
        for (const file of Object.keys(require.cache)) if (isProvider(file)) delete require.cache[file];
        for (const [file, module] of saved) require.cache[file] = module;
    }
}

interface Case {
    name: string;
    code: string;
    /** The class of a copy and its brand check. */
    cls: (c: Copy) => { check: (value: unknown) => boolean; ctor: abstract new (...args: never[]) => object };
    make: (c: Copy) => Error;
}

const A: Copy = { auth, fleet, graph, bounds, lifecycle };
const CASES: Case[] = [
    {
        name: "GraphError",
        code: "GRAPH_HTTP_ERROR",
        cls: (c) => ({ check: c.graph.GraphError.isGraphError, ctor: c.graph.GraphError }),
        make: (c) => new c.graph.GraphError({ code: "GRAPH_HTTP_ERROR", method: "GET", route: "/x", attempts: 1, status: 500 }),
    },
    {
        name: "TokenAcquisitionError",
        code: "AUTH_TOKEN_FAILED",
        cls: (c) => ({ check: c.auth.TokenAcquisitionError.isTokenAcquisitionError, ctor: c.auth.TokenAcquisitionError }),
        make: (c) => new c.auth.TokenAcquisitionError("ClientSecretCredential", "https://graph.microsoft.com/.default", "no token"),
    },
    {
        name: "FleetCsvError",
        code: "AUTOPILOT_FLEET_CSV_INVALID",
        cls: (c) => ({ check: c.fleet.FleetCsvError.isFleetCsvError, ctor: c.fleet.FleetCsvError }),
        make: (c) => new c.fleet.FleetCsvError([{ file: "devices.csv", line: 2, reason: "no serial number" }]),
    },
    {
        name: "StepStoppedError",
        code: "AUTOPILOT_CANCELLED",
        cls: (c) => ({ check: c.bounds.StepStoppedError.isStepStoppedError, ctor: c.bounds.StepStoppedError }),
        make: (c) => c.bounds.cancelledBy("SIGINT"),
    },
    {
        name: "ResourceInitError",
        code: "AUTOPILOT_RESOURCE_INIT_FAILED",
        cls: (c) => ({ check: c.lifecycle.ResourceInitError.isResourceInitError, ctor: c.lifecycle.ResourceInitError }),
        make: (c) => new c.lifecycle.ResourceInitError("created, then the read-back failed", "id-1", { id: "id-1" }),
    },
    {
        name: "AutopilotError",
        code: "AUTOPILOT_DEVICE_NOT_FOUND",
        cls: (c) => ({ check: c.lifecycle.AutopilotError.isAutopilotError, ctor: c.lifecycle.AutopilotError }),
        make: (c) => new c.lifecycle.AutopilotError("AUTOPILOT_DEVICE_NOT_FOUND", "no device with serial S1"),
    },
];

describe("error brands", () => {
    let B: Copy;
    before(() => {
        B = loadSecondCopy();
    });

    it("loads a distinct second copy of each class", () => {
        for (const c of CASES) assert.notEqual(c.cls(B).ctor, c.cls(A).ctor, c.name);
    });

    for (const c of CASES) {
        describe(c.name, () => {
            it("is recognised by the other copy's check and instanceof, both ways", () => {
                for (const [from, by] of [
                    [A, B],
                    [B, A],
                ]) {
                    const err = c.make(from);
                    assert.equal(c.cls(by).check(err), true);
                    assert.ok(err instanceof c.cls(by).ctor, "instanceof follows the brand");
                    assert.equal(err.name, c.name);
                    assert.equal((err as Error & { code: string }).code, c.code);
                }
            });

            it("does not recognise other errors, look-alikes or non-objects", () => {
                const { check, ctor } = c.cls(A);
                const others: unknown[] = [
                    new Error("x"),
                    Object.assign(new Error("x"), { name: c.name, code: c.code }),
                    { name: c.name, code: c.code, message: "x" },
                    ...CASES.filter((o) => o !== c).flatMap((o) => [o.make(A), o.make(B)]),
                ];
                for (const other of others) {
                    assert.equal(check(other), false, inspect(other));
                    assert.equal(other instanceof ctor, false, inspect(other));
                }
                for (const value of [null, undefined, c.name, 0]) assert.equal(check(value), false, String(value));
            });

            it("keeps the brand off the instance, so logs do not show it", () => {
                assert.deepEqual(Object.getOwnPropertySymbols(c.make(A)), []);
            });
        });
    }

    it("keeps the ordinary prototype check for a subclass", () => {
        class DeviceGone extends lifecycle.AutopilotError {}
        const sub = new DeviceGone("AUTOPILOT_DEVICE_NOT_FOUND", "gone");
        assert.ok(sub instanceof DeviceGone);
        assert.ok(sub instanceof lifecycle.AutopilotError);
        assert.ok(sub instanceof B.lifecycle.AutopilotError);
        assert.equal(new lifecycle.AutopilotError("AUTOPILOT_DEVICE_NOT_FOUND", "x") instanceof DeviceGone, false);
    });

    it("recognises a ResourceInitError whose copy put the brand on the instance", () => {
        // Released copies set the brand as an own field; they and this copy must still agree.
        const older = Object.assign(new Error("created"), { [Symbol.for("pulumi-autopilot.ResourceInitError")]: true });
        assert.equal(lifecycle.ResourceInitError.isResourceInitError(older), true);
    });
});
