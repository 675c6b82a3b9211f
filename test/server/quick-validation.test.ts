import { create, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { createValidator } from "@bufbuild/protovalidate";
import { describe, expect, it } from "vitest";
import { AdminService } from "../../gen/anykv/v1/admin_pb.js";
import { ModelService } from "../../gen/anykv/v1/model_pb.js";
import {
  GetRequestSchema,
  PreconditionSchema,
  PutRequestSchema,
  StoreService,
} from "../../gen/anykv/v1/store_pb.js";
import { compileQuickCheck } from "../../src/server/quick-validation.js";

// The quick check may only ever say "valid" where protovalidate does: it is trusted to skip
// protovalidate. These tests throw random messages of every request type of anykv's API at both,
// with the values near every bound the .proto files declare.

const validator = createValidator();
const requestTypes = [
  ...new Map(
    [StoreService, ModelService, AdminService]
      .flatMap((service) => service.methods)
      .map((method) => [method.input.typeName, method.input] as const),
  ).values(),
];

/** mulberry32: the same messages on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const repeat = (text: string, counts: number[]) => counts.map((n) => text.repeat(n));
const STRINGS = [
  "",
  "a",
  "k/1",
  "team-a/sub.ns_1",
  "Bad NS!",
  "a\nb",
  "\u0000",
  "é",
  "😀",
  "\ud800",
  "a\udc00b",
  "x😀",
  "0123456789abcdef".repeat(4),
  "0123456789abcdef".repeat(4).slice(1),
  "0123456789ABCDEF".repeat(4),
  ...repeat("x", [63, 64, 65, 127, 128, 129, 255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097]),
  ...repeat("é", [128, 129, 512, 513, 2048, 2049]),
  ...repeat("😀", [64, 65, 128, 129, 256, 257, 1024, 1025]),
  ...repeat("€", [85, 86, 341, 342, 1365, 1366]),
  ...repeat("ns/", [42, 43]),
];
const BIGINTS = [-(2n ** 63n), -2n, -1n, 0n, 1n, 2n, 1000n, 2n ** 62n];
const NUMBERS = [-1, 0, 1, 7, 1000];
const DURATIONS = [
  [0n, 0],
  [0n, 1],
  [0n, -1],
  [-1n, 0],
  [1n, 0],
  [1n, -5],
  [-1n, 5],
  [5n, 999_999_999],
  [0n, 1_000_000_000],
  [315_576_000_000n, 0],
  [315_576_000_001n, 0],
  [2n ** 62n, 0],
];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}

function scalar(rnd: () => number, field: DescField): unknown {
  const type = (field as { scalar?: number }).scalar;
  if (field.enum) return pick(rnd, [...field.enum.values.map((v) => v.number), 99, -1]);
  switch (type) {
    case 9: // string
      return pick(rnd, STRINGS);
    case 8: // bool
      return rnd() < 0.5;
    case 12: // bytes
      return new Uint8Array(Math.floor(rnd() * 70));
    case 3: // int64
    case 18: // sint64
    case 16: // sfixed64
      return pick(rnd, BIGINTS);
    case 4: // uint64
    case 6: // fixed64
      return pick(
        rnd,
        BIGINTS.filter((n) => n >= 0n),
      );
    case 1: // double
    case 2: // float
      return pick(rnd, [...NUMBERS, 0.5]);
    case 13: // uint32
    case 7: // fixed32
      return pick(
        rnd,
        NUMBERS.filter((n) => n >= 0),
      );
    default:
      return pick(rnd, NUMBERS);
  }
}

function message(rnd: () => number, desc: DescMessage, depth: number): Message {
  if (desc.typeName === DurationSchema.typeName) {
    const [seconds, nanos] = pick(rnd, DURATIONS);
    return create(DurationSchema, { seconds: seconds as bigint, nanos: nanos as number });
  }
  const m = create(desc) as unknown as Record<string, unknown>;
  if (depth > 3) return m as unknown as Message;
  for (const field of desc.fields) {
    if (field.oneof || rnd() < 0.35) continue;
    m[field.localName] = value(rnd, field, depth);
  }
  for (const oneof of desc.oneofs) {
    if (rnd() < 0.25) continue;
    const member = pick(rnd, oneof.fields);
    m[oneof.localName] = { case: member.localName, value: value(rnd, member, depth) };
  }
  return m as unknown as Message;
}

function value(rnd: () => number, field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "list":
      return Array.from({ length: Math.floor(rnd() * 4) }, () =>
        field.listKind === "message" ? message(rnd, field.message, depth + 1) : scalar(rnd, field),
      );
    case "map":
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => [
          `k${i}`,
          field.mapKind === "message" ? message(rnd, field.message, depth + 1) : scalar(rnd, field),
        ]),
      );
    case "message":
      return message(rnd, field.message, depth + 1);
    default:
      return scalar(rnd, field);
  }
}

describe("the quick request check", () => {
  it("never passes a message protovalidate refuses, on random messages of every request type", () => {
    const rnd = random(20261203);
    let valid = 0;
    let passed = 0;
    for (const desc of requestTypes) {
      const quick = compileQuickCheck(desc);
      for (let i = 0; i < 2000; i++) {
        const m = message(rnd, desc, 0);
        const result = validator.validate(desc, m);
        if (result.kind === "valid") valid++;
        if (!quick(m)) continue;
        passed++;
        if (result.kind !== "valid")
          expect.fail(
            `${desc.typeName}: quick passed what protovalidate calls ${result.kind}: ${String(result)}`,
          );
      }
    }
    expect(requestTypes.length).toBeGreaterThan(20);
    // Not a check that passes nothing: most random messages that are valid pass it.
    expect(valid).toBeGreaterThan(10_000);
    expect(passed / valid).toBeGreaterThan(0.9);
  });

  it("passes the common requests, so that they skip protovalidate", () => {
    const put = compileQuickCheck(PutRequestSchema);
    const get = compileQuickCheck(GetRequestSchema);
    const value = { kind: { case: "text" as const, value: "x".repeat(100) } };
    expect(put(create(PutRequestSchema, { key: "k/1", value }))).toBe(true);
    expect(
      put(
        create(PutRequestSchema, {
          namespace: "team-a/cache",
          key: "😀".repeat(1000),
          value,
          ttl: { seconds: 60n },
          precondition: { condition: { case: "revision", value: 7n } },
        }),
      ),
    ).toBe(true);
    expect(get(create(GetRequestSchema, { key: "k/1" }))).toBe(true);
  });

  it("refers what breaks a rule to protovalidate", () => {
    const put = compileQuickCheck(PutRequestSchema);
    const value = { kind: { case: "text" as const, value: "x" } };
    for (const init of [
      { key: "", value },
      { key: "k" },
      { key: "k", value, namespace: "bad ns" },
      { key: "k", value, namespace: "n".repeat(129) },
      { key: "é".repeat(2049), value },
      { key: "k", value, mode: 99 },
      { key: "k", value, ttl: { seconds: -1n } },
      { key: "k", value, precondition: {} },
      { key: "k", value, precondition: { condition: { case: "revision" as const, value: 0n } } },
      { key: "k", value, precondition: { condition: { case: "absent" as const, value: false } } },
    ])
      expect(
        put(create(PutRequestSchema, init as never)),
        JSON.stringify(init, (_, v) => String(v)),
      ).toBe(false);
    expect(compileQuickCheck(PreconditionSchema)(create(PreconditionSchema))).toBe(false);
  });
});
