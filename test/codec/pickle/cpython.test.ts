import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Data } from "../../../src/codec/data.js";
import { decodePickle, encodePickle } from "../../../src/codec/pickle/index.js";
import { isAnykvError } from "../../../src/errors.js";
import { dataArb } from "./data-arbitrary.js";
import { type Case, canonical, cases, spec } from "./matrix.js";
import { askPython } from "./python-oracle.js";

/**
 * Interop with real CPython and cloudpickle, through one python3 process
 * (oracle.py): Python loads what encodePickle writes, and decodePickle reads
 * what Python writes with every protocol.
 */

interface CaseAnswer {
  name: string;
  loads_equal: boolean;
  loaded?: string;
  expected?: string;
  same_bytes: boolean;
  dis_error: string | null;
  dumps: Record<string, string>;
}

interface Answer {
  cases: CaseAnswer[];
  refused: { lambda: string; zoneinfo: string; reduce_class: string };
}

const PROTOCOLS = [0, 1, 2, 3, 4, 5];

/** Random nested values (a fixed seed, so failures reproduce), kept to those Python can hold. */
const randomCases: Case[] = fc
  .sample(dataArb, { numRuns: 400, seed: 20_240_229 })
  .filter((value) => {
    try {
      encodePickle(value);
      return true;
    } catch {
      return false;
    }
  })
  .map((value, i) => ({ name: `random value ${i}`, value, exact: false }));
const allCases = [...cases, ...randomCases];
const answers = new Map<string, CaseAnswer>();
let refused: Answer["refused"];

beforeAll(() => {
  const request = {
    protocols: PROTOCOLS,
    cases: allCases.map((c) => ({
      name: c.name,
      spec: spec(c.value),
      ours: Buffer.from(encodePickle(c.value)).toString("base64"),
    })),
  };
  const answer = askPython<Answer>(request);
  for (const a of answer.cases) answers.set(a.name, a);
  refused = answer.refused;
}, 120_000);

function answerFor(c: Case): CaseAnswer {
  const a = answers.get(c.name);
  if (a === undefined) throw new Error(`oracle.py did not answer for ${c.name}`);
  return a;
}

const fromBase64 = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, "base64"));

describe("Python loads what encodePickle writes", () => {
  it.each(allCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const a = answerFor(c);
    expect(a.loads_equal, `${a.loaded}\nexpected ${a.expected}`).toBe(true);
    expect(a.dis_error, "pickletools.dis rejects the pickle").toBeNull();
    if (c.exact !== false) expect(a.same_bytes, "bytes differ from pickle.dumps(v, 4)").toBe(true);
  });
});

describe("decodePickle reads what Python writes", () => {
  const variants = [...PROTOCOLS.map(String), "cloudpickle"];
  for (const variant of variants) {
    describe(variant === "cloudpickle" ? "cloudpickle.dumps" : `pickle.dumps protocol ${variant}`, () => {
      it.each(allCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
        const pickled = answerFor(c).dumps[variant];
        if (pickled === undefined) throw new Error(`no ${variant} pickle for ${c.name}`);
        const decoded: Data = decodePickle(fromBase64(pickled));
        expect(canonical(decoded)).toEqual(canonical(c.value));
      });
    });
  }
});

describe("decodePickle refuses what is not data", () => {
  const refusal = (b64: string): Error => {
    try {
      decodePickle(fromBase64(b64));
    } catch (err) {
      if (isAnykvError(err, "DECODE_FAILED")) return err;
      throw err;
    }
    throw new Error("decodePickle accepted it");
  };

  it("a cloudpickled lambda, naming the refused globals", () => {
    expect(refusal(refused.lambda).message).toMatch(
      /^pickle refers to cloudpickle\.cloudpickle\._make_function(, | and )[\w., ]+, which anykv does not load$/,
    );
  });

  it("a datetime with a zoneinfo tzinfo, naming zoneinfo", () => {
    // ZoneInfo pickles as getattr(zoneinfo.ZoneInfo, "_unpickle")(key, 1).
    expect(refusal(refused.zoneinfo).message).toBe(
      "pickle refers to builtins.getattr and zoneinfo.ZoneInfo, which anykv does not load",
    );
  });

  it("a class whose __reduce__ names os.system", () => {
    // CPython pickles os.system under its real module, posix (nt on Windows).
    expect(refusal(refused.reduce_class).message).toMatch(
      /^pickle refers to (posix|nt|os)\.system, which anykv does not load$/,
    );
  });
});
