/**
 * The pickle codec against JSON on the same values, both measured from Data
 * to bytes and back, since that is the work each mode does in the server:
 * JSON pays for dataToJson/jsonToData and UTF-8 on top of JSON.stringify/
 * JSON.parse; pickle works on Data and bytes directly. The values are
 * JSON-exact (str keys, no bytes, sets or dates), so both codecs can hold them.
 *
 *   npx vitest bench --run bench/pickle.bench.ts
 */
import { bench, describe } from "vitest";
import { type Data, data } from "../src/codec/data.js";
import { dataToJson, type JsonValue, jsonToData } from "../src/codec/json-data.js";
import { decodePickle, encodePickle } from "../src/codec/pickle/index.js";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

const jsonEncode = (value: Data): Uint8Array => utf8.encode(JSON.stringify(dataToJson(value)));
const jsonDecode = (bytes: Uint8Array): Data => jsonToData(JSON.parse(fromUtf8.decode(bytes)) as JsonValue);

/** A typical record: a dozen fields of the usual kinds, about 300 bytes of JSON. */
function record(i: number): Data {
  return data.dict([
    [data.str("id"), data.int(i)],
    [data.str("name"), data.str(`user-${i}`)],
    [data.str("email"), data.str(`user${i}@example.com`)],
    [data.str("active"), data.bool(i % 3 !== 0)],
    [data.str("score"), data.float(i * 1.5 + 0.25)],
    [data.str("tags"), data.list([data.str("alpha"), data.str("beta"), data.str(`t${i % 10}`)])],
    [data.str("parent"), i % 2 === 0 ? data.none : data.int(i - 1)],
    [
      data.str("address"),
      data.dict([
        [data.str("street"), data.str(`${i} Main Street`)],
        [data.str("city"), data.str("Springfield")],
        [data.str("zip"), data.str(String(10_000 + (i % 90_000)))],
      ]),
    ],
    [data.str("note"), data.str("Grüße aus Köln — 東京 ✓")],
  ]);
}

const values: Record<string, Data> = {
  "one record (~300 B)": record(1),
  "1000 records (~300 KB)": data.list(Array.from({ length: 1000 }, (_, i) => record(i))),
  "32k records (~10 MB)": data.list(Array.from({ length: 32_000 }, (_, i) => record(i))),
  "100 strings of 100 KB (~10 MB)": data.list(
    Array.from({ length: 100 }, (_, i) => data.str(`${i}:${"lorem ipsum dolor sit amet ".repeat(3800)}`)),
  ),
  "1M small ints (~7 MB)": data.list(Array.from({ length: 1_000_000 }, (_, i) => data.int(i * 7))),
};

for (const [name, value] of Object.entries(values)) {
  const pickled = encodePickle(value);
  const json = jsonEncode(value);
  const big = json.length > 1_000_000;
  // Large values take tens of milliseconds per call: fewer, longer samples.
  const options = big ? { time: 3000, iterations: 5, warmupIterations: 2 } : { time: 1000 };

  describe(`${name}: encode (pickle ${pickled.length} B, JSON ${json.length} B)`, () => {
    bench("encodePickle", () => void encodePickle(value), options);
    bench("dataToJson + JSON.stringify + UTF-8", () => void jsonEncode(value), options);
  });

  describe(`${name}: decode`, () => {
    bench("decodePickle", () => void decodePickle(pickled), options);
    bench("UTF-8 + JSON.parse + jsonToData", () => void jsonDecode(json), options);
  });
}
