import { strict as assert } from "node:assert";
import { parseRetryAfterMs, parseRetryAfterValue } from "../../../provider/graph";

describe("Retry-After parsing", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");

    it("reads whole and fractional seconds exactly, rounding up below a millisecond", () => {
        assert.equal(parseRetryAfterValue("10", now), 10_000);
        assert.equal(parseRetryAfterValue("2.128", now), 2128);
        assert.equal(parseRetryAfterValue(" 0.07 ", now), 70);
        assert.equal(parseRetryAfterValue("1.5", now), 1500);
        assert.equal(parseRetryAfterValue("0.0001", now), 1);
        assert.equal(parseRetryAfterValue("0", now), 0);
    });

    it("reads an HTTP date relative to the given clock; a past date is 0", () => {
        assert.equal(parseRetryAfterValue("Wed, 21 Oct 2015 07:28:30 GMT", now), 30_000);
        assert.equal(parseRetryAfterValue("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
    });

    it("ignores what it cannot read", () => {
        for (const v of ["", "-1", "soon", "1e3", "NaN"]) assert.equal(parseRetryAfterValue(v, now), undefined, v);
    });

    it("prefers retry-after-ms, then x-ms-retry-after-ms, then Retry-After", () => {
        assert.equal(parseRetryAfterMs({ "retry-after": "10", "x-ms-retry-after-ms": "1500" }, now), 1500);
        assert.equal(parseRetryAfterMs({ "retry-after-ms": "20", "x-ms-retry-after-ms": "1500" }, now), 20);
        assert.equal(parseRetryAfterMs({ "x-ms-retry-after-ms": "12.2" }, now), 13);
        assert.equal(parseRetryAfterMs({ "x-ms-retry-after-ms": "junk", "retry-after": "2" }, now), 2000);
        assert.equal(parseRetryAfterMs({}, now), undefined);
    });
});
