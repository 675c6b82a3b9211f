import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { Grant } from "../../src/server/auth/grants.js";

/** A token of a test's auth file: its name, its secret, and its grants. */
export interface TestToken {
  readonly name: string;
  readonly token: string;
  readonly grants: readonly Grant[];
}

/** A fresh random token (what `openssl rand -hex 32` gives) with its grants. */
export function testToken(name: string, grants: readonly Grant[]): TestToken {
  return { name, token: randomBytes(32).toString("hex"), grants };
}

/** Writes an auth file (--auth-file) holding the tokens' sha256, never the tokens. */
export function writeAuthFile(file: string, tokens: readonly TestToken[]): string {
  const doc = {
    tokens: tokens.map((t) => ({
      name: t.name,
      sha256: createHash("sha256").update(t.token).digest("hex"),
      grants: t.grants,
    })),
  };
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}
