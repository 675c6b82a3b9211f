import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { examples, README_URL, withAssertions } from "../support/readme-blocks.js";
import { startTestServer } from "../support/server.js";

/**
 * README examples are executable tests (test/support/readme-blocks.ts): every ```ts test block
 * is type-checked and run as a module against a real server: it imports the package by its own
 * name (`anykv/client`, through package.json `exports` and the dist/ the global setup builds).
 * A block without its own createStore continues the quick tour: it gets that tour's `store`.
 */
const root = join(import.meta.dirname, "../..");
const out = join(root, "dist/readme-examples");

// The README and the reference in docs/: an example is tested wherever it moved.
const documents = ["README.md", ...readdirSync(join(root, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);
const blocks = documents.flatMap((document) =>
  examples(readFileSync(join(root, document), "utf8")).map((block) => ({
    ...block,
    document,
    name: `${document.replace(/\W+/g, "-")}-line-${block.line}`,
  })),
);
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ allowCode: true }); // the functions example needs --allow-code
  mkdirSync(out, { recursive: true });
  const files = blocks.map((block) => {
    const name = `${block.name}.ts`;
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
    it(`run: the block at ${block.document} line ${block.line}`, async () => {
      await import(join(out, `${block.name}.ts`));
    });
  }
});
