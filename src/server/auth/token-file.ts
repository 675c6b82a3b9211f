import { readFile } from "node:fs/promises";
import { ACCESS_LEVELS, type Access, type Grant, patternProblem } from "./grants.js";

/** A token of the auth file, known by the sha256 of its secret (never by the secret). */
export interface TokenEntry {
  /** A name for people and logs ("ci"); never the secret. */
  readonly name: string;
  readonly grants: readonly Grant[];
}

/** The tokens of an auth file, by the lowercase hex sha256 of each token. */
export type TokenTable = ReadonlyMap<string, TokenEntry>;

/**
 * Reads and checks an auth file (`--auth-file`):
 * `{"tokens": [{"name": "ci", "sha256": "<hex>", "grants": [{"namespace": "app/*", "access": "write"}]}]}`.
 * Anything malformed (unknown fields included, so that a typo does not silently grant less or
 * more) throws an Error naming the file and the place.
 */
export async function readTokenFile(file: string): Promise<TokenTable> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new Error(`auth file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseTokenFile(text, file);
}

/** Parses the text of an auth file; `file` names it in errors. */
export function parseTokenFile(text: string, file = "auth file"): TokenTable {
  const fail = (where: string, why: string): never => {
    throw new Error(`auth file ${file}: ${where}${where ? ": " : ""}${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail("", `not JSON (${(err as Error).message})`);
  }
  const top = record(doc, "", ["tokens"], fail);
  if (!Array.isArray(top.tokens)) fail("", `"tokens" must be an array`);
  const table = new Map<string, TokenEntry>();
  const names = new Set<string>();
  (top.tokens as unknown[]).forEach((raw, i) => {
    const where = `tokens[${i}]`;
    const t = record(raw, where, ["name", "sha256", "grants"], fail);
    if (typeof t.name !== "string" || t.name === "") fail(where, `"name" must be a non-empty string`);
    const name = t.name as string;
    if (names.has(name)) fail(where, `the name "${name}" is used twice`);
    names.add(name);
    if (typeof t.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(t.sha256))
      fail(
        where,
        `"sha256" must be the 64 hex digits of the token's sha256 (sha256sum, or openssl dgst -sha256)`,
      );
    const hash = (t.sha256 as string).toLowerCase();
    if (table.has(hash)) fail(where, `the same token (sha256) is listed twice`);
    if (!Array.isArray(t.grants)) fail(where, `"grants" must be an array`);
    const grants = (t.grants as unknown[]).map((g, j) => grant(g, `${where}.grants[${j}]`, fail));
    table.set(hash, Object.freeze({ name, grants: Object.freeze(grants) }));
  });
  return table;
}

function grant(raw: unknown, where: string, fail: (where: string, why: string) => never): Grant {
  const g = record(raw, where, ["namespace", "access"], fail);
  if (typeof g.namespace !== "string")
    fail(where, `"namespace" must be a string ("" is the default namespace)`);
  const namespace = g.namespace as string;
  const problem = patternProblem(namespace);
  if (problem) fail(where, problem);
  if (!ACCESS_LEVELS.includes(g.access as Access))
    fail(where, `"access" must be ${ACCESS_LEVELS.join(", ")}, not ${JSON.stringify(g.access)}`);
  return Object.freeze({ namespace, access: g.access as Access });
}

function record(
  value: unknown,
  where: string,
  fields: readonly string[],
  fail: (where: string, why: string) => never,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(where, "must be an object");
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!fields.includes(key)) fail(where, `unknown field "${key}" (known: ${fields.join(", ")})`);
  }
  return object;
}
