import { AnykvError } from "../errors.js";

/**
 * Compiles a key glob: `*` matches within one path segment, `**` across
 * segments, `?` one character; `**​/` also matches nothing, so `**​/*.json`
 * matches `a.json` as well as `x/y/a.json`. Everything else is literal.
 */
export function compileGlob(glob: string): (key: string) => boolean {
  if (glob.length > 1024) throw new AnykvError("INVALID_ARGUMENT", "the glob is longer than 1024 characters");
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*" && glob[i + 1] === "*") {
      if (glob[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  const pattern = new RegExp(`^${source}$`, "u");
  return (key) => pattern.test(key);
}
