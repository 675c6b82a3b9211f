import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * `--before DIR`, taken out of a benchmark's arguments: another build's dist/ (a `git worktree`
 * of an older commit, compiled) to measure beside this one in the same process. Undefined when
 * the option is not given; `args` keeps the other arguments.
 */
export function takeBeforeDir(args: string[]): string | undefined {
  const at = args.indexOf("--before");
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
}

/** A module of the build in `dist` (e.g. "src/store/store.js"), typed as this build's. */
export function importFromBuild<T>(dist: string, path: string): Promise<T> {
  return import(pathToFileURL(resolve(dist, path)).href) as Promise<T>;
}
