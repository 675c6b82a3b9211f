import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { anchors, localLinks } from "../support/markdown.js";

/**
 * Every link between the project's documents lands: the file exists and, with a #fragment, the
 * heading does. The README leads and docs/ holds the reference, so sections move between files
 * and their links must follow.
 */
const root = join(import.meta.dirname, "../..");
const documents = [
  "README.md",
  "CHANGELOG.md",
  "bench/README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

describe("links between the documents", () => {
  for (const document of documents) {
    it(`${document}: every local link and anchor resolves`, () => {
      const text = readFileSync(join(root, document), "utf8");
      const broken: string[] = [];
      for (const { line, target } of localLinks(text)) {
        const [path = "", fragment] = target.split("#");
        const file = path === "" ? join(root, document) : join(root, dirname(document), path);
        if (!existsSync(file)) {
          broken.push(`line ${line}: ${target} (no file ${relative(root, file)})`);
          continue;
        }
        if (fragment && file.endsWith(".md") && !anchors(readFileSync(file, "utf8")).has(fragment))
          broken.push(`line ${line}: ${target} (no heading #${fragment} in ${relative(root, file)})`);
      }
      expect(broken).toEqual([]);
    });
  }
});
