/**
 * Reads a V8 CPU profile (`node --cpu-prof` writes *.cpuprofile) and prints
 * where the time went: the top functions by self time, and self time summed
 * per package or source directory (node internals, node_modules/<package>,
 * anykv's src/<layer>), and the top functions by total time (self time plus
 * the functions they call), so that a benchmark's profile can be read
 * without a browser.
 *
 *   node dist/bench/profile-top.js FILE.cpuprofile [top=30]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node dist/bench/profile-top.js FILE.cpuprofile [top]");
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));

// Self time per node: each sample's time delta belongs to the node it hit.
const selfUs = new Map<number, number>();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  totalUs += delta;
});

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = nodes.get(id)?.callFrame;
  if (!frame) continue;
  const name = nameOf(frame);
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const place = placeOf(frame.url, frame.functionName);
  byPlace.set(place, (byPlace.get(place) ?? 0) + us);
}

// Total time per function: a node's self time plus its subtree's, counted once per
// function on each stack (a recursive function's inner frames are not added again).
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const byTotal = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = nodes.get(at)?.callFrame;
    if (!frame || frame.functionName === "(root)") continue;
    const name = nameOf(frame);
    if (seen.has(name)) continue;
    seen.add(name);
    byTotal.set(name, (byTotal.get(name) ?? 0) + us);
  }
}

const percent = (us: number) => `${((100 * us) / totalUs).toFixed(1)}%`;
console.log(`${file}: ${(totalUs / 1000).toFixed(0)} ms sampled`);
console.log("\n| self time | where |\n|---:|---|");
for (const [place, us] of sorted(byPlace)) console.log(`| ${percent(us)} | ${place} |`);
console.log(`\n| self time | function (top ${top}) |\n|---:|---|`);
for (const [name, us] of sorted(byFunction).slice(0, top)) console.log(`| ${percent(us)} | ${name} |`);
console.log(`\n| total time | function (top ${top}) |\n|---:|---|`);
for (const [name, us] of sorted(byTotal).slice(0, top)) console.log(`| ${percent(us)} | ${name} |`);

function nameOf(frame: ProfileNode["callFrame"]): string {
  return `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
}

function sorted(map: Map<string, number>): Array<[string, number]> {
  return [...map].sort((a, b) => b[1] - a[1]);
}

/** A URL without the machine's paths: node:…, the package under node_modules, or the path from src/. */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const dist = url.search(/\/dist\/(src|bench|gen)\//);
  if (dist >= 0) return url.slice(dist + "/dist/".length);
  return url.replace(/^file:\/\//, "");
}

/** Groups a frame: V8's own entries ((garbage collector), (idle), (program)), node internals, a package, or an anykv directory. */
function placeOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node internals";
  const short = shortUrl(url);
  if (short !== url.replace(/^file:\/\//, "") && url.includes("node_modules/")) {
    const parts = short.split("/");
    return `node_modules/${parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const parts = short.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : short;
}
