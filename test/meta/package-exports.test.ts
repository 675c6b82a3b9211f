import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The public surface as a user meets it: package.json `exports`, imported by the package's own
 * name from the dist/ the global setup builds (`tsc -p tsconfig.json`, what `npm run build` runs),
 * in a plain Node process, not through vitest's resolver.
 */
const root = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, { types: string; default: string }>;
};

function importNames(specifier: string): string[] {
  const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out) as string[];
}

describe("package exports", () => {
  it("point at files the build writes, types included", () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath.includes("*")) continue;
      expect(existsSync(join(root, target.default)), target.default).toBe(true);
      expect(existsSync(join(root, target.types)), target.types).toBe(true);
    }
  });

  it("anykv/client, anykv/server and anykv/codec import by name in Node", () => {
    expect(importNames("anykv/client")).toEqual(expect.arrayContaining(["createStore", "tuple", "PyDate"]));
    expect(importNames("anykv/server")).toEqual(expect.arrayContaining(["startServer", "routes"]));
    expect(importNames("anykv/codec")).toEqual(expect.arrayContaining(["serialize", "deserialize", "data"]));
    expect(importNames("anykv/gen/anykv/v1/store_pb")).toContain("StoreService");
  });

  it("does not expose internals outside the exports", () => {
    expect(() => importNames("anykv/src/store/store.js")).toThrow();
  });
});
