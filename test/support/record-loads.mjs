// Preloaded with `node --import` by test/meta/client-imports.test.ts: appends to the file
// $ANYKV_LOADS_FILE every module URL the process resolves (ESM hooks, which also see the
// CommonJS packages that ESM imports) and every native addon it opens (process.dlopen, however
// it is reached: node-gyp-build, require of a .node file).
import { appendFileSync } from "node:fs";
import { register } from "node:module";

const file = process.env.ANYKV_LOADS_FILE;
if (!file) throw new Error("record-loads.mjs needs ANYKV_LOADS_FILE");
const dlopen = process.dlopen;
process.dlopen = (module, filename, ...rest) => {
  appendFileSync(file, `dlopen:${filename}\n`);
  return dlopen(module, filename, ...rest);
};
const hooks = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(file)}, result.url + "\\n");
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
