/** What a grant lets a token do in its namespaces; each level includes the ones before it. */
export type Access = "read" | "write" | "admin";

export const ACCESS_LEVELS: readonly Access[] = ["read", "write", "admin"];

const RANK: Readonly<Record<Access, number>> = { read: 0, write: 1, admin: 2 };

/** One grant of a token: access to the namespaces a pattern matches. */
export interface Grant {
  /** An exact namespace ("" is the default one), "*" for every namespace, or a prefix ending in "*" ("app/*"). */
  readonly namespace: string;
  readonly access: Access;
}

/** Whether `have` includes `need` (admin ⊃ write ⊃ read). */
export function includes(have: Access, need: Access): boolean {
  return RANK[have] >= RANK[need];
}

/** Whether a grant's namespace pattern covers `namespace`: exact, "*", or a prefix ending in "*". */
export function patternMatches(pattern: string, namespace: string): boolean {
  if (!pattern.endsWith("*")) return pattern === namespace;
  return namespace.startsWith(pattern.slice(0, -1));
}

/** Whether any grant gives `need` on `namespace`. */
export function granted(grants: readonly Grant[], namespace: string, need: Access): boolean {
  for (const grant of grants) {
    if (includes(grant.access, need) && patternMatches(grant.namespace, namespace)) return true;
  }
  return false;
}

/**
 * Why a namespace pattern is malformed, or undefined when it is fine: namespaces are
 * `[A-Za-z0-9._/-]*` (store.proto), and "*" may only end a pattern.
 */
export function patternProblem(pattern: string): string | undefined {
  const body = pattern.endsWith("*") ? pattern.slice(0, -1) : pattern;
  if (!/^[A-Za-z0-9._/-]*$/.test(body))
    return `namespace "${pattern}" must be a namespace name ([A-Za-z0-9._/-]), "*", or a prefix ending in "*"`;
  if (body.length > 128) return `namespace "${pattern}" is longer than 128 characters`;
  return undefined;
}
