import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

/**
 * A PUT of 100 MiB to /anystore streams into chunked storage and a GET streams it back, with
 * the server's memory bounded: the server runs as its own process (LevelDB, as deployed) and
 * its anonymous resident memory (RssAnon: heap and native allocations; not LevelDB's mapped
 * table files, which the kernel reclaims) is sampled at every MiB sent and received. Held
 * whole, it would grow with the body; streamed, it levels off: the second half of each
 * transfer peaks no higher than the first half, give or take what V8 lets build up before a
 * collection, and the whole never grows by the body's size.
 */
const MiB = 1024 * 1024;
const CHUNKS = 100;
const SIZE = CHUNKS * MiB;
const block = randomBytes(MiB);

/** RssAnon of a process, in bytes. */
function anonRss(pid: number): number {
  const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no RssAnon for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** The body: 100 copies of one random MiB, each stamped with its index (no two alike). */
function chunk(i: number): Buffer {
  const out = Buffer.from(block);
  out.writeUInt32BE(i, 0);
  return out;
}

/** Peaks of a transfer's two halves, in bytes. */
class Halves {
  readonly peak = [0, 0];
  sample(pid: number, done: number): void {
    const half = done < SIZE / 2 ? 0 : 1;
    this.peak[half] = Math.max(this.peak[half]!, anonRss(pid));
  }
}

function put(url: string, pid: number, halves: Halves): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "PUT", headers: { "Content-Length": SIZE } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    let i = 0;
    const write = () => {
      while (i < CHUNKS) {
        halves.sample(pid, i * MiB);
        if (!req.write(chunk(i++))) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

describe("large bodies on the anystore HTTP API", () => {
  it("a 100 MiB PUT streams into chunks with bounded server memory, and GET streams it back", async () => {
    const server = await spawnServer(["--data", join(tempDir(), "data")]);
    const pid = server.child.pid!;
    try {
      const url = `${server.url}/anystore/big/value.bin`;
      // Warm up the paths (first-use allocations are not the body's).
      const warm = await fetch(`${server.url}/anystore/warm`, { method: "PUT", body: "x".repeat(3 * MiB) });
      expect(warm.status).toBe(201);
      expect((await (await fetch(`${server.url}/anystore/warm`)).text()).length).toBe(3 * MiB);
      const before = anonRss(pid);

      const up = new Halves();
      expect(await put(url, pid, up)).toBe(201);

      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-length")).toBe(String(SIZE));
      const down = new Halves();
      const received = createHash("sha256");
      let size = 0;
      for await (const part of res.body!) {
        received.update(part);
        size += part.length;
        down.sample(pid, size);
      }
      const expected = createHash("sha256");
      for (let i = 0; i < CHUNKS; i++) expected.update(chunk(i));
      const sha256 = expected.digest("hex");
      expect(size).toBe(SIZE);
      expect(received.digest("hex")).toBe(sha256);

      const mib = (n: number) => `${((n - before) / MiB).toFixed(0)} MiB`;
      console.log(
        `anystore 100 MiB PUT then GET, server RssAnon growth: PUT halves ${mib(up.peak[0]!)} / ` +
          `${mib(up.peak[1]!)}, GET halves ${mib(down.peak[0]!)} / ${mib(down.peak[1]!)}`,
      );
      expect(up.peak[1]! - up.peak[0]!).toBeLessThan(24 * MiB);
      expect(down.peak[1]! - down.peak[0]!).toBeLessThan(24 * MiB);
      expect(Math.max(...up.peak, ...down.peak) - before).toBeLessThan(SIZE);

      const head = await fetch(`${url}?checksum=true&algorithm=sha256`, { method: "HEAD" });
      expect(head.headers.get("x-anystore-size")).toBe(String(SIZE));
      expect(head.headers.get("x-anystore-checksum")).toBe(sha256);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
