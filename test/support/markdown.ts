import { spawnSync } from "node:child_process";

/**
 * What the documentation tests read in the project's Markdown: fenced blocks, headings and
 * links. Text inside fences is code, never a heading or a link.
 */

export interface Fence {
  /** The info string after the backticks (`sh test`, `ts`, …). */
  readonly info: string;
  /** Line of the opening fence (1-based). */
  readonly line: number;
  readonly source: string;
}

export function fences(markdown: string): Fence[] {
  const found: Fence[] = [];
  for (const match of markdown.matchAll(/^```([^\n`]*)\n([\s\S]*?)^```$/gm)) {
    found.push({
      info: (match[1] ?? "").trim(),
      line: markdown.slice(0, match.index).split("\n").length,
      source: match[2] ?? "",
    });
  }
  return found;
}

/** The Markdown without its fenced blocks (lines kept, so line numbers still match). */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, (block) => block.replace(/[^\n]/g, ""));
}

/** GitHub's anchors of the headings: lowercased, punctuation dropped, spaces as hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = (match[1] ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

export interface Link {
  readonly line: number;
  readonly target: string;
}

/** Links to other files or anchors (`[text](target)`), not to the web. */
export function localLinks(markdown: string): Link[] {
  const links: Link[] = [];
  prose(markdown)
    .split("\n")
    .forEach((text, i) => {
      // Inline code may hold brackets that are not links.
      for (const match of text.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] ?? "";
        if (!/^[a-z]+:/i.test(target)) links.push({ line: i + 1, target });
      }
    });
  return links;
}

/**
 * The commands of a shell transcript (`$ command` lines, continued while bash finds the command
 * unfinished: a trailing backslash or an open quote), each with the output printed under it.
 */
export interface TranscriptStep {
  readonly command: string;
  readonly output: string;
}

export const isTranscript = (source: string) => /^\$ /m.test(source);

export function transcript(source: string): TranscriptStep[] {
  const steps: { command: string; output: string[] }[] = [];
  let open: string[] | undefined;
  for (const line of source.split("\n")) {
    if (open) {
      open.push(line);
      if (complete(open.join("\n"))) {
        steps.push({ command: open.join("\n"), output: [] });
        open = undefined;
      }
    } else if (line.startsWith("$ ")) {
      open = [line.slice(2)];
      if (complete(line.slice(2))) {
        steps.push({ command: line.slice(2), output: [] });
        open = undefined;
      }
    } else {
      steps.at(-1)?.output.push(line);
    }
  }
  if (open) throw new Error(`unfinished command in a transcript: ${open.join("\n")}`);
  return steps.map((s) => ({ command: s.command, output: s.output.join("\n") }));
}

/** Whether bash parses the text as whole commands (`bash -n`). */
export function complete(script: string): boolean {
  if (/\\$/.test(script)) return false; // a line continued (bash -n takes a final backslash literally)
  return (
    syntaxError(script) === undefined ||
    !/unexpected end of file|unexpected EOF/.test(syntaxError(script) ?? "")
  );
}

/** bash's complaint about the script's syntax, or undefined when it parses. */
export function syntaxError(script: string): string | undefined {
  const result = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
  return result.status === 0 ? undefined : result.stderr.trim();
}
