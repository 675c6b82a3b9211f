import http2 from "node:http2";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import { PutRequestSchema } from "../../gen/anykv/v1/store_pb.js";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import {
  connectRawHttp2,
  FRAME,
  REFUSED_STREAM,
  SETTINGS_MAX_CONCURRENT_STREAMS,
  settingOf,
} from "../support/raw-http2.js";
import { startTestServer, uniqueKey } from "../support/server.js";

// Short limits, so that every timeout here passes in well under a second.
const limits = {
  backend: "memory",
  headersTimeoutMs: 400,
  requestTimeoutMs: 2000,
  idleTimeoutMs: 500,
  keepaliveIntervalMs: 200,
  keepaliveTimeoutMs: 300,
  maxConcurrentStreams: 3,
  maxMessageBytes: 64 * 1024,
} as const;

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer(limits);
});

/** A raw TCP connection that collects what the server sends. */
async function rawTcp() {
  const socket = net.connect(server.port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
  const until = async (pattern: RegExp) => {
    while (!pattern.test(received)) await sleep(10);
    return received;
  };
  return { socket, closed, until, received: () => received };
}

/** A Connect JSON Put over HTTP/1.1, as bytes. */
function h1Put(key: string, text: string): string {
  const body = JSON.stringify({ key, value: { text } });
  return (
    "POST /anykv.v1.StoreService/Put HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

describe("protocol sniffing", () => {
  it("serves an HTTP/1.1 request whose first TCP segment is only `P`", async () => {
    const { socket, until } = await rawTcp();
    const request = h1Put(uniqueKey("sniff"), "split");
    socket.write(request.slice(0, 1));
    await sleep(50); // a segment of its own
    socket.write(request.slice(1));
    expect(await until(/\r\n\r\n\{.*\}/)).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
  });

  it("serves HTTP/2 whose preface comes one byte at a time", async () => {
    const h2 = await connectRawHttp2(server.port, { preface: false });
    for (const byte of Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) {
      h2.socket.write(Buffer.from([byte]));
      await sleep(1);
    }
    h2.socket.write(Buffer.from([0, 0, 0, FRAME.SETTINGS, 0, 0, 0, 0, 0]));
    const settings = await h2.frame((f) => f.type === FRAME.SETTINGS && (f.flags & 1) === 0);
    expect(settingOf(settings, SETTINGS_MAX_CONCURRENT_STREAMS)).toBe(3);
    h2.socket.destroy();
  });

  it("closes a connection that sends nothing, or too little to decide, within the headers timeout", async () => {
    const silent = await rawTcp();
    const undecided = await rawTcp();
    undecided.socket.write("P");
    const start = Date.now();
    const [a, b] = await Promise.all([silent.closed, undecided.closed]);
    expect(Math.min(a, b) - start).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
    expect(silent.received() + undecided.received()).toBe("");
  });
});

describe("HTTP/1.1 timeouts", () => {
  it("cuts a request whose headers trickle in (slowloris) once the headers timeout has passed", async () => {
    const { socket, closed, received } = await rawTcp();
    const start = Date.now();
    socket.write("POST /anykv.v1.StoreService/Put HTTP/1.1\r\nHost: localhost\r\n");
    let lines = 0;
    let open = true;
    void closed.then(() => {
      open = false;
    });
    // One header line every 50 ms would go on for 10 s; the server stops it long before.
    while (open && lines < 200) {
      socket.write(`X-Trickle-${lines++}: 1\r\n`);
      await sleep(50);
    }
    const end = await closed;
    expect(lines).toBeLessThan(200);
    expect(end - start).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
    expect(received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it("closes a keep-alive connection after the idle timeout, and not while a request is answered", async () => {
    const { socket, closed, until } = await rawTcp();
    socket.write(h1Put(uniqueKey("idle"), "a"));
    await until(/\r\n\r\n\{.*\}/);
    const answered = Date.now();
    const end = await closed;
    expect(end - answered).toBeGreaterThanOrEqual(limits.idleTimeoutMs - 50);
  });

  it("answers a request over the message limit, reads past its body, and serves the next one", async () => {
    const { socket, until } = await rawTcp();
    socket.write(h1Put(uniqueKey("big"), "x".repeat(1024 * 1024)));
    const key = uniqueKey("after-big");
    socket.write(h1Put(key, "small"));
    const text = await until(/HTTP\/1\.1 200 [\s\S]*\r\n\r\n\{.*\}/);
    expect(text).toMatch(/^HTTP\/1\.1 429 [\s\S]*resource_exhausted/);
    expect(text).toContain(`"key":"${key}"`);
    socket.destroy();
  });
});

describe("HTTP/2 limits", () => {
  it("advertises maxConcurrentStreams and refuses a stream past it", async () => {
    // Four requests whose bodies never come: the first three stay open, the fourth is refused.
    // Before the client acknowledges the setting, the fourth stream alone is refused.
    const early = await connectRawHttp2(server.port);
    const settings = await early.frame((f) => f.type === FRAME.SETTINGS && (f.flags & 1) === 0);
    expect(settingOf(settings, SETTINGS_MAX_CONCURRENT_STREAMS)).toBe(3);
    for (const id of [1, 3, 5, 7]) early.request(id, "/anykv.v1.StoreService/Put");
    const reset = await early.frame((f) => f.type === FRAME.RST_STREAM);
    expect([reset.streamId, reset.payload.readUInt32BE(0)]).toEqual([7, REFUSED_STREAM]);
    await sleep(50);
    expect(early.frames.filter((f) => f.type === FRAME.RST_STREAM || f.type === FRAME.GOAWAY)).toHaveLength(
      1,
    );
    early.socket.destroy();
    // After it has acknowledged the setting, exceeding it ends the connection (nghttp2's choice,
    // RFC 9113 §5.1.2): GOAWAY says stream 5 was the last one processed.
    const acked = await connectRawHttp2(server.port);
    await acked.frame((f) => f.type === FRAME.SETTINGS && (f.flags & 1) === 0);
    acked.socket.write(Buffer.from([0, 0, 0, FRAME.SETTINGS, 1, 0, 0, 0, 0]));
    for (const id of [1, 3, 5, 7]) acked.request(id, "/anykv.v1.StoreService/Put");
    const goaway = await acked.frame((f) => f.type === FRAME.GOAWAY);
    expect(goaway.payload.readUInt32BE(0)).toBe(5);
    await acked.closed;
  });

  it("closes a connection without streams with GOAWAY after the idle timeout", async () => {
    const h2 = await connectRawHttp2(server.port);
    const start = Date.now();
    await h2.frame((f) => f.type === FRAME.GOAWAY);
    expect(Date.now() - start).toBeGreaterThanOrEqual(limits.idleTimeoutMs - 50);
    await h2.closed;
  });

  it("keeps a quiet Watch open past the idle timeout while the client answers PINGs", async () => {
    const store = createStore({ baseUrl: server.url, namespace: "limits" });
    const prefix = uniqueKey("quiet");
    const abort = new AbortController();
    const events = store.rpc.watch({ namespace: "limits", prefix }, { signal: abort.signal });
    const it = events[Symbol.asyncIterator]();
    expect((await it.next()).value?.created).toBe(true);
    await sleep(limits.idleTimeoutMs * 3); // several idle timeouts and keepalive PINGs
    await store.put(`${prefix}/a`, 1);
    const next = await it.next();
    expect(next.value?.events[0]?.key).toBe(`${prefix}/a`);
    abort.abort();
  });

  it("closes a connection whose open stream's client leaves PINGs unanswered", async () => {
    const h2 = await connectRawHttp2(server.port);
    h2.request(1, "/anykv.v1.StoreService/Put"); // a stream that stays open: no idle timeout
    await h2.frame((f) => f.type === FRAME.PING && (f.flags & 1) === 0);
    const pinged = Date.now();
    await h2.closed;
    expect(Date.now() - pinged).toBeGreaterThanOrEqual(limits.keepaliveTimeoutMs - 50);
  });

  it("answers a request over the message limit RESOURCE_EXHAUSTED and resets it, so the connection goes on", async () => {
    const session = http2.connect(server.url);
    const put = (key: string, size: number) => {
      const message = toBinary(
        PutRequestSchema,
        create(PutRequestSchema, { key, value: { kind: { case: "raw", value: new Uint8Array(size) } } }),
      );
      const body = Buffer.alloc(5 + message.length);
      body.writeUInt32BE(message.length, 1);
      body.set(message, 5);
      return new Promise<{ status: string | undefined; rstCode: number | undefined }>((resolve, reject) => {
        const req = session.request({
          ":method": "POST",
          ":path": "/anykv.v1.StoreService/Put",
          "content-type": "application/grpc",
          te: "trailers",
        });
        let status: string | undefined;
        req.on("trailers", (t) => {
          status = String(t["grpc-status"]);
        });
        req.on("data", () => {});
        req.on("error", reject);
        req.on("close", () => resolve({ status, rstCode: req.rstCode }));
        req.end(body);
      });
    };
    // 1 MiB: past the server's 64 KiB limit, within what the client itself may buffer.
    expect(await put(uniqueKey("big"), 1024 * 1024)).toEqual({ status: "8", rstCode: 0 });
    const key = uniqueKey("after-big");
    for (let i = 0; i < 3; i++) expect(await put(`${key}/${i}`, 10)).toEqual({ status: "0", rstCode: 0 });
    session.close();
    expect(await createStore({ baseUrl: server.url }).exists(`${key}/2`)).toBe(true);
  });
});
