import { AnykvError } from "../errors.js";

/** One piece of a compiled glob. */
type Token =
  | { readonly type: "char"; readonly char: string }
  /** `?`: one character, not `/`. */
  | { readonly type: "one" }
  /** `*`: any run of characters within a segment. */
  | { readonly type: "star" }
  /** `**`: any run of characters, `/` included. */
  | { readonly type: "globstar" }
  /** `**​/`: nothing, or any run of characters that ends with `/`. */
  | { readonly type: "dirs" }
  /** `[…]`: one character (never `/`) in (or, negated, not in) the ranges. */
  | {
      readonly type: "class";
      readonly negated: boolean;
      readonly ranges: readonly (readonly [number, number])[];
    };

/**
 * Compiles a key glob: `*` matches within one path segment, `**` across
 * segments, `?` one character; `**​/` also matches nothing, so `**​/*.json`
 * matches `a.json` as well as `x/y/a.json`. `[…]` is a character class with
 * fnmatch's rules, as anystore (fsspec's glob_translate) reads it: `[abc]`,
 * ranges `[a-z]` (a reversed one matches nothing), `[!…]` negates, `]` first
 * and `-` first or last are literal, and a `[` without its `]` in the same
 * segment is literal. Unlike `?`, no class matches `/` (in fsspec a negated one
 * can). Everything else is literal. Characters are code points, and any of
 * them (line separators too) may be matched by a wildcard.
 *
 * The matcher runs the glob as a set of states over the key, in time
 * proportional to key length × glob length: no backtracking, so no glob can
 * stall the server (a regular expression of many `.*` would, on a long key).
 */
export function compileGlob(glob: string): (key: string) => boolean {
  if (glob.length > 1024) throw new AnykvError("INVALID_ARGUMENT", "the glob is longer than 1024 characters");
  const tokens = tokenize(glob);
  const end = tokens.length;
  // State i: before token i (end: matched). State end + 1 + i: inside the `**​/` at token i.
  const close = (states: Set<number>): Set<number> => {
    for (let i = 0; i < end; i++) {
      const type = tokens[i]!.type;
      if (states.has(i) && (type === "star" || type === "globstar" || type === "dirs")) states.add(i + 1);
    }
    return states;
  };
  return (key) => {
    let states = close(new Set([0]));
    for (const char of key) {
      const next = new Set<number>();
      for (const state of states) {
        if (state === end) continue;
        const i = state > end ? state - end - 1 : state;
        const token = tokens[i]!;
        if (token.type === "char") {
          if (char === token.char) next.add(i + 1);
        } else if (token.type === "one") {
          if (char !== "/") next.add(i + 1);
        } else if (token.type === "class") {
          if (char !== "/" && inClass(token, char)) next.add(i + 1);
        } else if (token.type === "star") {
          if (char !== "/") next.add(i);
        } else if (token.type === "globstar") {
          next.add(i);
        } else {
          next.add(end + 1 + i);
          if (char === "/") next.add(i + 1);
        }
      }
      if (next.size === 0) return false;
      states = close(next);
    }
    return states.has(end);
  };
}

function tokenize(glob: string): Token[] {
  const chars = [...glob];
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === "*" && chars[i + 1] === "*") {
      const dirs = chars[i + 2] === "/";
      tokens.push({ type: dirs ? "dirs" : "globstar" });
      i += dirs ? 2 : 1;
    } else if (char === "*") {
      tokens.push({ type: "star" });
    } else if (char === "?") {
      tokens.push({ type: "one" });
    } else if (char === "[" && classEnd(chars, i + 1) !== -1) {
      const end = classEnd(chars, i + 1);
      tokens.push(charClass(chars.slice(i + 1, end)));
      i = end;
    } else {
      tokens.push({ type: "char", char });
    }
  }
  return tokens;
}

/** The index of the `]` that closes a class whose body starts at `start`, or -1 (then `[` is literal). */
function classEnd(chars: readonly string[], start: number): number {
  let j = start;
  if (chars[j] === "!") j++;
  if (chars[j] === "]") j++; // a `]` first is a member, not the end
  for (; j < chars.length; j++) {
    if (chars[j] === "]") return j;
    if (chars[j] === "/") return -1; // classes stay within a segment
  }
  return -1;
}

/** A class body (between `[` and `]`) as ranges of code points. */
function charClass(body: readonly string[]): Token {
  const negated = body[0] === "!";
  const members = negated ? body.slice(1) : body;
  const ranges: [number, number][] = [];
  for (let k = 0; k < members.length; k++) {
    const low = members[k]!.codePointAt(0)!;
    // `a-z`; a `-` with nothing after it is a member.
    if (members[k + 1] === "-" && k + 2 < members.length) {
      const high = members[k + 2]!.codePointAt(0)!;
      if (low <= high) ranges.push([low, high]); // a reversed range matches nothing
      k += 2;
      continue;
    }
    ranges.push([low, low]);
  }
  return { type: "class", negated, ranges };
}

function inClass(token: Extract<Token, { type: "class" }>, char: string): boolean {
  const code = char.codePointAt(0)!;
  const inside = token.ranges.some(([low, high]) => code >= low && code <= high);
  return inside !== token.negated;
}
