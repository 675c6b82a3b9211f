import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { spawnServer } from "../support/cli-process.js";
import { examples, README_URL, withAssertions } from "../support/readme-blocks.js";
import { tempDir } from "../support/temp-dir.js";

/**
 * The package as a user installs it: a fresh clone of this repository (its committed HEAD),
 * `npm ci`, `npm pack` (prepack builds dist/), then `npm install anykv-x.tgz` into an empty
 * project. There the installed bin serves, the README's quick tour runs against it through
 * the installed `anykv/client`, and `npx anykv --version` answers. About a minute, mostly npm.
 */
const root = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
const exec = promisify(execFile);
const NPM_OFFLINE = ["--prefer-offline", "--no-audit", "--no-fund"];

async function sh(cwd: string, file: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await exec(file, [...args], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

const work = tempDir("anykv-pack-");
const clone = join(work, "clone");
const project = join(work, "project");
let tarball = "";
let files: string[] = [];

beforeAll(async () => {
  await sh(work, "git", ["clone", "--quiet", root, clone]);
  await sh(clone, "npm", ["ci", ...NPM_OFFLINE]);
  const packed = JSON.parse(await sh(clone, "npm", ["pack", "--json"])) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(clone, packed[0]!.filename);
  files = packed[0]!.files.map((f) => f.path);
  await sh(work, "mkdir", ["project"]);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "try-anykv", private: true, type: "module" }),
  );
  await sh(project, "npm", ["install", tarball, ...NPM_OFFLINE]);
}, 600_000);

describe("the packed package", () => {
  it("ships the build, the protos, README, docs/ and LICENSE; no tests, benchmarks or TypeScript sources", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/src/client/index.js",
        "dist/src/client/index.d.ts",
        "dist/src/cli/main.js",
        "dist/gen/anykv/v1/store_pb.js",
        "proto/anykv/v1/store.proto",
        "README.md",
        "docs/api.md",
        "LICENSE",
        "package.json",
      ]),
    );
    const unwanted = files.filter((f) => /^(test|bench|src|scripts|\.ci)\//.test(f) || /\.(ts|map)$/.test(f));
    expect(unwanted.filter((f) => !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("installs: `npx anykv --version` prints the version", async () => {
    expect((await sh(project, "npx", ["--no-install", "anykv", "--version"])).trim()).toBe(pkg.version);
  });

  it("installs: the README's quick tour runs against `anykv serve` from the installed package", async () => {
    const bin = join(project, "node_modules", pkg.name, "dist/src/cli/main.js");
    const server = await spawnServer(["--backend", "memory"], {}, bin);
    try {
      const tour = examples(readFileSync(join(root, "README.md"), "utf8"))[0];
      expect(tour?.source).toContain('from "anykv/client"');
      const script = [
        'import { deepStrictEqual } from "node:assert";',
        "const expect = (actual) => ({ toEqual: (expected) => deepStrictEqual(actual, expected) });",
        withAssertions(tour!.source).replaceAll(README_URL, server.url),
        'console.log("tour ran");',
      ].join("\n");
      writeFileSync(join(project, "tour.mjs"), script);
      expect(await sh(project, process.execPath, ["tour.mjs"])).toContain("tour ran");
    } finally {
      await server.stop();
    }
  });
});
