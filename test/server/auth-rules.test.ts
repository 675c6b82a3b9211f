import { describe, expect, it } from "vitest";
import { ModelService } from "../../gen/anykv/v1/model_pb.js";
import { StoreService } from "../../gen/anykv/v1/store_pb.js";
import { granted, patternMatches } from "../../src/server/auth/grants.js";
import { methodAccess } from "../../src/server/auth/method-access.js";
import { parseTokenFile } from "../../src/server/auth/token-file.js";

const HASH = "ab".repeat(32);

describe("grants", () => {
  it("match namespaces exactly, by prefix ending in *, or all with *", () => {
    expect(patternMatches("", "")).toBe(true);
    expect(patternMatches("", "app")).toBe(false);
    expect(patternMatches("app", "app")).toBe(true);
    expect(patternMatches("app", "app/x")).toBe(false);
    expect(patternMatches("app/*", "app/x")).toBe(true);
    expect(patternMatches("app/*", "app")).toBe(false);
    expect(patternMatches("app*", "apple")).toBe(true);
    expect(patternMatches("*", "")).toBe(true);
    expect(patternMatches("*", "anything/at/all")).toBe(true);
    // Server-wide needs ask for the namespace "*": only a "*" grant has it.
    expect(patternMatches("*", "*")).toBe(true);
    expect(patternMatches("app/*", "*")).toBe(false);
    expect(patternMatches("", "*")).toBe(false);
  });

  it("order access levels read < write < admin", () => {
    const grants = [{ namespace: "a", access: "write" as const }];
    expect(granted(grants, "a", "read")).toBe(true);
    expect(granted(grants, "a", "write")).toBe(true);
    expect(granted(grants, "a", "admin")).toBe(false);
    expect(granted(grants, "b", "read")).toBe(false);
    expect(granted([{ namespace: "*", access: "admin" }], "*", "admin")).toBe(true);
  });
});

describe("auth file", () => {
  const parse = (doc: unknown) => parseTokenFile(JSON.stringify(doc), "auth.json");

  it("reads tokens by their lowercase sha256", () => {
    const table = parse({
      tokens: [{ name: "ci", sha256: HASH.toUpperCase(), grants: [{ namespace: "app/*", access: "write" }] }],
    });
    expect(table.get(HASH)).toEqual({ name: "ci", grants: [{ namespace: "app/*", access: "write" }] });
  });

  it.each([
    ["{", /auth file auth.json: not JSON/],
    [JSON.stringify({}), /"tokens" must be an array/],
    [JSON.stringify({ tokens: [], extra: 1 }), /unknown field "extra"/],
    [
      JSON.stringify({ tokens: [{ name: "", sha256: HASH, grants: [] }] }),
      /tokens\[0\]: "name" must be a non-empty string/,
    ],
    [
      JSON.stringify({ tokens: [{ name: "a", sha256: "abc", grants: [] }] }),
      /tokens\[0\]: "sha256" must be the 64 hex digits/,
    ],
    [
      JSON.stringify({ tokens: [{ name: "a", sha256: HASH, grant: [] }] }),
      /tokens\[0\]: unknown field "grant"/,
    ],
    [
      JSON.stringify({
        tokens: [
          { name: "a", sha256: HASH, grants: [] },
          { name: "a", sha256: "cd".repeat(32), grants: [] },
        ],
      }),
      /tokens\[1\]: the name "a" is used twice/,
    ],
    [
      JSON.stringify({
        tokens: [
          { name: "a", sha256: HASH, grants: [] },
          { name: "b", sha256: HASH, grants: [] },
        ],
      }),
      /tokens\[1\]: the same token \(sha256\) is listed twice/,
    ],
    [
      JSON.stringify({
        tokens: [{ name: "a", sha256: HASH, grants: [{ namespace: "a*b", access: "read" }] }],
      }),
      /tokens\[0\]\.grants\[0\]: namespace "a\*b" must be a namespace name/,
    ],
    [
      JSON.stringify({ tokens: [{ name: "a", sha256: HASH, grants: [{ namespace: "a", access: "all" }] }] }),
      /"access" must be read, write, admin, not "all"/,
    ],
  ])("refuses %s, naming the place", (text, message) => {
    expect(() => parseTokenFile(text, "auth.json")).toThrow(message);
  });
});

describe("what each method needs", () => {
  it("every StoreService method reads or writes its request's namespace", () => {
    const kinds = Object.fromEntries(
      StoreService.methods.map((m) => {
        const access = methodAccess(m);
        return [m.name, access.kind === "namespace" ? access.access : access.kind];
      }),
    );
    expect(Object.values(kinds).every((kind) => kind === "read" || kind === "write")).toBe(true);
    expect(kinds).toMatchObject({
      Get: "read",
      Watch: "read",
      Download: "read",
      Put: "write",
      Upload: "write",
    });
  });

  it("ModelService reads need a token, its writes a server-wide admin; health and reflection none", () => {
    const of = (name: string) => methodAccess(ModelService.methods.find((m) => m.name === name)!).kind;
    expect([of("ListModels"), of("GetModel"), of("RegisterModels"), of("DeleteModel")]).toEqual([
      "token",
      "token",
      "server",
      "server",
    ]);
  });
});
