import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const dir = join(import.meta.dirname, "../../src/client");

/** Each client file's imports of other client files, type-only imports included. */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(dir, file), "utf8");
    const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+"\.\/([^"]+)\.js";/gms)].map(
      (m) => `${m[1]}.ts`,
    );
    edges.set(file, targets);
  }
  return edges;
}

function cycles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      found.push([...path.slice(path.indexOf(file)), file]);
      return;
    }
    state.set(file, "visiting");
    path.push(file);
    for (const next of edges.get(file) ?? []) visit(next);
    path.pop();
    state.set(file, "done");
  };
  for (const file of edges.keys()) visit(file);
  return found;
}

it("the client's files import one another without a cycle (type imports count too)", () => {
  const edges = graph();
  expect(edges.get("bulk-client.ts")).toContain("call-options.ts"); // the parser sees imports
  expect(cycles(edges)).toEqual([]);
  // The check finds a cycle where there is one.
  expect(
    cycles(
      new Map([
        ["a.ts", ["b.ts"]],
        ["b.ts", ["a.ts"]],
      ]),
    ),
  ).toEqual([["a.ts", "b.ts", "a.ts"]]);
});
