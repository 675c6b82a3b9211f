import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/temp-dir.js";

/**
 * `anykv/client` is for programs that talk to a server: importing it must not load LevelDB
 * (`level`, `classic-level` and its native addon) or any server, store or backend code. A plain
 * Node process imports the built package by name (dist/, as users get it) with a preload that
 * records every module it resolves and every native addon it opens.
 */
const root = join(import.meta.dirname, "../..");
const dir = tempDir();

function loads(specifier: string): string[] {
  const file = join(dir, `${specifier.replaceAll("/", "-")}.txt`);
  execFileSync(
    process.execPath,
    [
      "--import",
      join(root, "test/support/record-loads.mjs"),
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(specifier)});`,
    ],
    { cwd: root, env: { ...process.env, ANYKV_LOADS_FILE: file }, stdio: ["ignore", "ignore", "pipe"] },
  );
  return [...new Set(readFileSync(file, "utf8").split("\n").filter(Boolean))];
}

const SERVER_SIDE = [
  /\/node_modules\/(level|classic-level|abstract-level|browser-level)\//,
  /^dlopen:/,
  /\/dist\/src\/(server|store|backend)\//,
];

const serverSide = (urls: string[]) => urls.filter((url) => SERVER_SIDE.some((re) => re.test(url)));

describe("what importing a subpath loads", () => {
  it("anykv/client loads no LevelDB, no native addon and no server, store or backend code", () => {
    const urls = loads("anykv/client");
    expect(urls.some((url) => url.includes("/dist/src/client/index.js"))).toBe(true);
    expect(serverSide(urls)).toEqual([]);
  });

  // The same probe on the server proves it sees what it looks for.
  it("anykv/server, by contrast, loads classic-level's native addon and the store", () => {
    const found = serverSide(loads("anykv/server"));
    expect(found.some((url) => url.includes("/node_modules/classic-level/"))).toBe(true);
    expect(found.some((url) => url.startsWith("dlopen:") && url.endsWith(".node"))).toBe(true);
    expect(found.some((url) => url.includes("/dist/src/store/"))).toBe(true);
  });
});
