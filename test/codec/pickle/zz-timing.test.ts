import { it } from "vitest";
import { data } from "../../../src/codec/data.js";
import { decodePickle, encodePickle } from "../../../src/codec/pickle/index.js";
it("timing", () => {
  const rec = data.dict([[data.str("id"), data.int(1)], [data.str("name"), data.str("user-1")], [data.str("tags"), data.list([data.str("alpha")])]]);
  const p = encodePickle(rec);
  const N = 300000;
  const t = performance.now();
  for (let i = 0; i < N; i++) decodePickle(p);
  console.log("dec", ((performance.now() - t) / N * 1000).toFixed(2), "us");
});
