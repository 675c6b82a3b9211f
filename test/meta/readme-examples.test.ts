import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";

/**
 * README examples are executable tests. Every ```ts block whose info string says `test`
 * (```ts test, which GitHub highlights as ts) is type-checked and run as a module against a
 * real server: it imports the package by its own name (`anykv/client`, through package.json
 * `exports` and the dist/ the global setup builds), and a line `EXPR; // RESULT` whose comment
 * is a JavaScript expression (up to an optional ` — remark`) asserts that EXPR equals RESULT.
 * A block without its own createStore continues the quick tour: it gets that tour's `store`.
 */
const root = join(import.meta.dirname, "../..");
const out = join(root, "dist/readme-examples");
const README_URL = "http://127.0.0.1:50051";

interface Example {
  readonly line: number;
  readonly source: string;
}

function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const fence = /^```ts test\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    found.push({ line: markdown.slice(0, match.index).split("\n").length, source: match[1] ?? "" });
  }
  return found;
}

/** `await x; // "bar"   — remark` → `expect(await x).toEqual("bar");` when the comment is an expression. */
function withAssertions(source: string): string {
  return source
    .split("\n")
    .map((line) => {
      const m = /^(\s*)(.+?);\s*\/\/\s*(.+?)(?:\s+—.*)?$/.exec(line);
      if (!m || !isExpression(m[3] ?? "")) return line;
      // `const v = EXPR; // RESULT` keeps the declaration and checks the variable.
      const declared = /^(?:const|let|var)\s+(\w+)\s*=/.exec(m[2] ?? "");
      if (declared) return `${m[1]}${m[2]}; expect(${declared[1]}).toEqual(${m[3]});`;
      return `${m[1]}expect(${m[2]}).toEqual(${m[3]});`;
    })
    .join("\n");
}

function isExpression(text: string): boolean {
  try {
    new Function(`return (${text});`); // parses, never runs
    return true;
  } catch {
    return false;
  }
}

const blocks = examples(readFileSync(join(root, "README.md"), "utf8"));
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ allowCode: true }); // the functions example needs --allow-code
  mkdirSync(out, { recursive: true });
  const files = blocks.map((block) => {
    const name = `readme-line-${block.line}.ts`;
    const tour = block.source.includes("createStore(")
      ? ""
      : `import { createStore } from "anykv/client";\nconst store = createStore({ baseUrl: "${README_URL}" });\n`;
    const body = withAssertions(tour + block.source).replaceAll(README_URL, server.url);
    writeFileSync(join(out, name), `import { expect } from "vitest";\n${body}\nexport {};\n`);
    return name;
  });
  writeFileSync(
    join(out, "tsconfig.json"),
    JSON.stringify({
      extends: "../../tsconfig.json",
      compilerOptions: { noEmit: true, rootDir: "../.." },
      files,
    }),
  );
});

describe("README examples", () => {
  it("has examples tagged for testing", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it("type-check against the built package", () => {
    try {
      execFileSync("npx", ["tsc", "-p", join(out, "tsconfig.json")], { cwd: root, encoding: "utf8" });
    } catch (err) {
      throw new Error(`README examples do not type-check:\n${(err as { stdout?: string }).stdout ?? err}`);
    }
  });

  for (const block of blocks) {
    it(`run: the block at README.md line ${block.line}`, async () => {
      await import(join(out, `readme-line-${block.line}.ts`));
    });
  }
});
