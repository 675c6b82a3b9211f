/**
 * The README's executable examples: every ```ts block whose info string says `test` (```ts test,
 * which GitHub highlights as ts). A line `EXPR; // RESULT` whose comment is a JavaScript
 * expression (up to an optional ` — remark`) asserts that EXPR equals RESULT.
 */

/** The server address the examples use; tests replace it with their server's. */
export const README_URL = "http://127.0.0.1:50051";

export interface Example {
  /** Line of the opening fence in README.md. */
  readonly line: number;
  readonly source: string;
}

export function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const fence = /^```ts test\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    found.push({ line: markdown.slice(0, match.index).split("\n").length, source: match[1] ?? "" });
  }
  return found;
}

/**
 * `await x; // "bar"   — remark` → `expect(await x).toEqual("bar");` when the comment is an
 * expression (vitest's `expect`, or any function with that shape).
 */
export function withAssertions(source: string): string {
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
