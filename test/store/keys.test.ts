import { describe, expect, it } from "vitest";
import { isAnykvError } from "../../src/errors.js";
import { compileGlob } from "../../src/store/glob.js";
import { checkNamespace, normalizeKey, normalizePrefix } from "../../src/store/keys.js";

describe("key rules", () => {
  it.each([
    ["a/./b/", "a/b"],
    ["a/b/.", "a/b"],
    ["a//b", "a/b"],
    ["foo", "foo"],
    ["./a", "a"],
    ["a/b/", "a/b"],
    [".hidden/..b/c.", ".hidden/..b/c."],
    ["~ !x/y:z", "~ !x/y:z"],
    ["with space/ü/\u{1F600}", "with space/ü/\u{1F600}"],
  ])("normalizes %j to %j", (key, normalized) => expect(normalizeKey(key, 1024)).toBe(normalized));

  it.each([
    ["", /empty/],
    [".", /empty/],
    ["/abs", /start with \//],
    ["a/../b", /\.\. segments/],
    ["..", /\.\. segments/],
    ["nul\u0000byte", /control characters/],
    ["tab\there", /control characters/],
    ["del\u007f", /control characters/],
    ["x/..", /\.\. segments/],
    ["lone\uD800surrogate", /not valid Unicode/],
  ])("refuses %j", (key, why) => {
    expect(() => normalizeKey(key, 1024)).toThrow(why);
    try {
      normalizeKey(key, 1024);
    } catch (err) {
      expect(isAnykvError(err, "INVALID_KEY")).toBe(true);
    }
  });

  it("counts the limit in UTF-8 bytes", () => {
    expect(normalizeKey("a".repeat(1024), 1024)).toHaveLength(1024);
    expect(() => normalizeKey("a".repeat(1025), 1024)).toThrow(/at most 1024 bytes/);
    expect(() => normalizeKey("ü".repeat(513), 1024)).toThrow(/at most 1024 bytes/);
  });

  it("treats an empty or dot prefix as everything", () => {
    expect(normalizePrefix("", 1024)).toBe("");
    expect(normalizePrefix("./", 1024)).toBe("");
    expect(normalizePrefix("foo/", 1024)).toBe("foo");
  });

  it("checks namespaces", () => {
    expect(checkNamespace("tenant-1/app_x.y")).toBe("tenant-1/app_x.y");
    expect(() => checkNamespace("bad\u0000ns")).toThrow(/invalid namespace/);
  });
});

describe("globs", () => {
  it.each([
    ["*.json", "a.json", true],
    ["*.json", "x/a.json", false],
    ["**/*.json", "a.json", true],
    ["**/*.json", "x/y/a.json", true],
    ["**/*.json", "x/y/a.txt", false],
    ["x/**", "x/y/z", true],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["file(1).txt", "file(1).txt", true],
    ["x/**/", "x/", true],
    ["x/**/", "x/y", false],
    ["**", "a/line\u2028sep/\u2029", true],
    ["**/*.txt", "a\u2028b/c.txt", true],
    ["?", "\u{1F600}", true],
    ["*", "", true],
    ["[abc].json", "b.json", true],
    ["[abc].json", "d.json", false],
    ["[a-c]x", "bx", true],
    ["[!a-c]x", "dx", true],
    ["[!a-c]x", "bx", false],
    ["a[!x]b", "a/b", false],
    ["[]]", "]", true],
    ["[!]]", "a", true],
    ["[a-]", "-", true],
    ["[z-a]", "z", false],
    ["[a", "[a", true],
    ["[a/b]", "[a/b]", true],
    ["[\u{1F600}-\u{1F64F}]", "\u{1F610}", true],
  ])("%s matches %s: %s", (glob, key, expected) => expect(compileGlob(glob)(key)).toBe(expected));

  it("matches in linear time: a glob of many ** cannot stall the server (no backtracking)", () => {
    const key = "a".repeat(1000);
    const started = performance.now();
    expect(compileGlob(`${"**a".repeat(30)}**b`)(key)).toBe(false);
    expect(compileGlob(`${"*a".repeat(30)}*b`)(key)).toBe(false);
    expect(compileGlob(`${"**/".repeat(30)}*b`)(`${"a/".repeat(400)}c`)).toBe(false);
    expect(compileGlob(`${"*[a-z]".repeat(30)}*[!a]`)(key)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
