import { describe, expect, it } from "vitest";
import { canonicalJson, inCanonicalOrder } from "./canonical-json.ts";
import { freezeEvent, InvalidEventError, validateEvent } from "./envelope.ts";

describe("canonicalJson (RFC 8785)", () => {
  it("sorts members by UTF-16 code units and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], "€": 1, "\r": 2, "1": 3 })).toBe(
      '{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"€":1}',
    );
  });
  it("serialises numbers as ECMAScript does", () => {
    expect(canonicalJson([1e21, 1e-7, 0.1 + 0.2, -0, 4.5, 333333333.3333333])).toBe(
      "[1e+21,1e-7,0.30000000000000004,0,4.5,333333333.3333333]",
    );
  });
  it("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/not representable/);
    expect(() => canonicalJson({ x: 1n })).toThrow(/bigint/);
  });
  it("is independent of key insertion order", () => {
    expect(canonicalJson({ x: { q: 1, p: 2 }, y: 0 })).toBe(canonicalJson({ y: 0, x: { p: 2, q: 1 } }));
  });
  it("gives the same bytes on its fast path (members already in order) as on the sorting path", () => {
    const unordered = { z: [{ b: undefined, a: "é\n" }, null], a: { d: -0, c: 1e21 }, m: true, "10": "x", "2": "y" };
    const ordered = inCanonicalOrder(unordered);
    expect(Object.keys(ordered.a)).toEqual(["c", "d"]);
    expect(canonicalJson(ordered)).toBe(canonicalJson(unordered));
    expect(canonicalJson(unordered)).toBe('{"10":"x","2":"y","a":{"c":1e+21,"d":0},"m":true,"z":[{"a":"é\\n"},null]}');
    expect(canonicalJson({ a: [1, undefined], b: new Date(0) })).toBe('{"a":[1,null],"b":{}}');
    expect(() => canonicalJson({ a: 1, b: Number.POSITIVE_INFINITY })).toThrow(/not representable/);
  });
});

describe("validateEvent", () => {
  it("checks a frozen event once, and an unfrozen one every time (it may have changed)", () => {
    const frozen = freezeEvent({ type: "DealWon", occurredAt: "2026-03-31T20:00:00Z", data: { dealId: "d1", amount: 100 } });
    expect(Object.isFrozen(frozen.data)).toBe(true);
    expect(validateEvent(frozen)).toBe(validateEvent(frozen));
    const open = { type: "DealWon", occurredAt: "2026-03-31T20:00:00Z", data: { dealId: "d1", amount: 100 } };
    validateEvent(open);
    open.data.amount = -1;
    expect(() => validateEvent(open)).toThrow(InvalidEventError);
  });

  it("normalises occurredAt to UTC and applies defaults", () => {
    const event = validateEvent({
      type: "DealWon",
      occurredAt: "2026-03-31T20:00:00-07:00",
      data: { dealId: "d1", amount: 100 },
    });
    expect(event.occurredAt).toBe("2026-04-01T03:00:00.000Z");
    expect(event.data).toEqual({ dealId: "d1", amount: 100, currency: "USD" });
    expect(event.actor).toBe("system");
  });

  it("names every bad field with its path", () => {
    try {
      validateEvent({ type: "DealCreated", occurredAt: "2026-01-01T00:00:00Z", data: { dealId: "d", amount: "ten" } }, 4);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      const invalid = error as InvalidEventError;
      expect(invalid.eventIndex).toBe(4);
      expect(invalid.issues.map((issue) => issue.path)).toEqual(
        expect.arrayContaining(["data.amount", "data.accountId", "data.stage", "data.expectedCloseDate"]),
      );
      expect(invalid.message).toMatch(/^invalid event #4 of type "DealCreated": /);
    }
  });

  it("rejects malformed envelopes: bad id, unknown type, future schema version", () => {
    expect(() => validateEvent({ id: "nope", type: "DealWon", occurredAt: "2026-01-01T00:00:00Z", data: {} })).toThrow(
      /id: Invalid UUID/,
    );
    expect(() => validateEvent({ type: "Nope", occurredAt: "2026-01-01T00:00:00Z", data: {} })).toThrow(
      /unknown event type "Nope"/,
    );
    expect(() =>
      validateEvent({ type: "DealWon", schemaVersion: 9, occurredAt: "2026-01-01T00:00:00Z", data: { dealId: "d", amount: 1 } }),
    ).toThrow(/schemaVersion: version 9 is newer/);
  });

  it("upcasts DealLost v1 free-text reasons to the v2 reason list, keeping the text", () => {
    const lost = validateEvent({
      type: "DealLost",
      schemaVersion: 1,
      occurredAt: "2026-01-01T00:00:00Z",
      data: { dealId: "d", reason: "Went with a cheaper vendor — budget cut" },
    });
    expect(lost.schemaVersion).toBe(2);
    expect(lost.data).toEqual({ dealId: "d", reason: "pricing", note: "Went with a cheaper vendor — budget cut" });
    const other = validateEvent({
      type: "DealLost",
      schemaVersion: 1,
      occurredAt: "2026-01-01T00:00:00Z",
      data: { dealId: "d", reason: "??" },
    });
    expect(other.data).toMatchObject({ reason: "other" });
  });
});
