/**
 * What encoding a unary answer costs, and how much of it is allocation: protobuf-es's toBinary of
 * a Put's and a Get's answer (as the bench's 100-byte text Puts and Gets make them), beside the
 * same encoding into a reused buffer, and what one ArrayBuffer costs off V8's heap (over 64 bytes)
 * against a slice of Buffer's pool. CPU time of the whole process (V8's GC threads sweep the
 * ArrayBuffers), per call, median of 5 rounds.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/response-encoding.js [calls=200000]
 *
 * The reused buffer is a measurement only: it swaps two of BinaryWriter's private methods for the
 * length of its rows and puts them back. toBinary makes a new writer for each message, which
 * allocates 128 bytes off the heap, doubles it as it fills, and copies the result out (a third
 * ArrayBuffer); protobuf-es has no public way to write into a buffer the caller keeps
 * (bench/README.md, thirteenth pass).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { GetResponseSchema, PutResponseSchema } from "../gen/anykv/v1/store_pb.js";
import { KeyInfoSchema } from "../gen/anykv/v1/value_pb.js";
import { median } from "./support/stats.js";

const CALLS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;

const now = Date.now();
const info = create(KeyInfoSchema, {
  key: "k/1",
  size: 100n,
  revision: 123_456n,
  codec: "text",
  kind: "text",
  contentType: "text/plain; charset=utf-8",
  createdAt: timestampFromMs(now),
  updatedAt: timestampFromMs(now),
});
const putAnswer = create(PutResponseSchema, { info, stored: true });
const getAnswer = create(GetResponseSchema, {
  found: true,
  value: { kind: { case: "text", value: "x".repeat(100) } },
  info,
});

/** CPU µs per call of `f`, median of ROUNDS. */
function cpuPerCall(f: () => unknown): number {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) f();
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / CALLS);
  }
  return median(rounds);
}

/** Runs `f` with BinaryWriter starting in one reused buffer and copying its result into Buffer's pool. */
function withReusedBuffer<T>(f: () => T): T {
  type Internals = { buffer: Uint8Array; pos: number; stackPos: number[] };
  const proto = BinaryWriter.prototype as unknown as Record<
    string,
    (this: Internals, ...a: never[]) => unknown
  >;
  const ensureCapacity = proto.ensureCapacity as (this: Internals, size: number) => void;
  const finish = proto.finish as (this: Internals) => Uint8Array;
  const scratch = new Uint8Array(64 * 1024);
  proto.ensureCapacity = function (this: Internals, size: number) {
    if (this.buffer.length === 0) this.buffer = scratch;
    ensureCapacity.call(this, size);
  } as never;
  proto.finish = function (this: Internals) {
    const bytes = Buffer.from(this.buffer.subarray(0, this.pos));
    this.pos = 0;
    this.stackPos = [];
    return bytes;
  } as never;
  try {
    return f();
  } finally {
    proto.ensureCapacity = ensureCapacity as never;
    proto.finish = finish as never;
  }
}

const stock = {
  put: toBinary(PutResponseSchema, putAnswer),
  get: toBinary(GetResponseSchema, getAnswer),
};
const reused = withReusedBuffer(() => ({
  put: toBinary(PutResponseSchema, putAnswer),
  get: toBinary(GetResponseSchema, getAnswer),
}));
if (!Buffer.from(stock.put).equals(reused.put) || !Buffer.from(stock.get).equals(reused.get))
  throw new Error("the reused buffer changed the encoding");

const rows: Array<[string, number]> = [
  [
    `toBinary, Put's answer (${stock.put.length} bytes)`,
    cpuPerCall(() => toBinary(PutResponseSchema, putAnswer)),
  ],
  [
    `toBinary, Get's answer (${stock.get.length} bytes)`,
    cpuPerCall(() => toBinary(GetResponseSchema, getAnswer)),
  ],
  [
    "the same into a reused buffer, Put's",
    withReusedBuffer(() => cpuPerCall(() => toBinary(PutResponseSchema, putAnswer))),
  ],
  [
    "the same into a reused buffer, Get's",
    withReusedBuffer(() => cpuPerCall(() => toBinary(GetResponseSchema, getAnswer))),
  ],
  ["new Uint8Array(64) (on V8's heap)", cpuPerCall(() => new Uint8Array(64))],
  ["new Uint8Array(128) (off the heap)", cpuPerCall(() => new Uint8Array(128))],
  ["Buffer.allocUnsafe(128) (a slice of Buffer's pool)", cpuPerCall(() => Buffer.allocUnsafe(128))],
];
console.log(`${process.version}, ${CALLS} calls a round, median of ${ROUNDS} rounds\n`);
console.log("| | CPU µs per call |\n|---|---:|");
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(2)} |`);
