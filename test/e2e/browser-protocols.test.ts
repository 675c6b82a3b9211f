import { beforeAll, describe, expect, it } from "vitest";
import { createStore, type Protocol } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";
import { run } from "../support/tools.js";

const ORIGIN = "https://app.example.com";
let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ corsOrigins: [ORIGIN] });
});

// curl prints the response headers and body (-i), then the status on a line of its own.
const curl = async (...args: string[]) => {
  const { stdout, code } = await run("curl", ["-sS", "-i", "-w", "\n%{http_code}", ...args]);
  expect(code).toBe(0);
  const cut = stdout.lastIndexOf("\n");
  return { text: stdout.slice(0, cut), status: Number(stdout.slice(cut + 1)) };
};

describe("gRPC-Web and Connect on the gRPC port", () => {
  it.each<Protocol>(["connect", "grpc-web", "grpc"])("the Node client over %s", async (transport) => {
    const store = createStore({ baseUrl: server.url, transport });
    const key = uniqueKey(transport);
    await store.put(key, { via: transport });
    expect(await store.get(key)).toEqual({ via: transport });
    const keys: string[] = [];
    for await (const k of store.keys({ prefix: key })) keys.push(k);
    expect(keys).toEqual([key]);
  });

  it("Connect JSON with curl", async () => {
    const url = `${server.url}/anykv.v1.StoreService`;
    const json = ["-H", "Content-Type: application/json"];
    const put = await curl(...json, "-d", '{"key":"curl/json","value":{"json":{"a":[1,2]}}}', `${url}/Put`);
    expect(put.status).toBe(200);
    const get = await curl(...json, "-d", '{"key":"curl/json"}', `${url}/Get`);
    expect(get.status).toBe(200);
    expect(JSON.parse(get.text.slice(get.text.indexOf("\r\n\r\n") + 4)).value).toEqual({
      json: { a: [1, 2] },
    });
    const missing = await curl(...json, "-d", '{"key":"curl/missing"}', `${url}/Get`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('"code":"not_found"');
  });

  it("Connect binary and gRPC-Web with curl", async () => {
    // GetRequest { key: "curl/json" }: field 2, length-delimited.
    const request = Buffer.concat([Buffer.from([0x12, 9]), Buffer.from("curl/json")]);
    const binary = await run(
      "curl",
      [
        "-sS",
        "-H",
        "Content-Type: application/proto",
        "--data-binary",
        "@-",
        `${server.url}/anykv.v1.StoreService/Get`,
      ],
      { input: request.toString("latin1") },
    );
    expect(binary.code).toBe(0);
    expect(binary.stdout).toContain("curl/json"); // the KeyInfo's key, inside the binary response
    // gRPC-Web: a 5-byte frame header (flag 0, big-endian length) before the message.
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, request.length]), request]).toString("base64");
    const web = await run("bash", [
      "-c",
      `echo ${frame} | base64 -d | curl -sS -i -H 'Content-Type: application/grpc-web+proto' --data-binary @- ${server.url}/anykv.v1.StoreService/Get`,
    ]);
    expect(web.code).toBe(0);
    expect(web.stdout).toContain("content-type: application/grpc-web+proto");
    expect(web.stdout).toMatch(/grpc-status: ?0/); // the trailer frame
  });
});

describe("CORS for browser callers", () => {
  it("answers a preflight from an allowed origin, with curl", async () => {
    const res = await curl(
      "-X",
      "OPTIONS",
      "-H",
      `Origin: ${ORIGIN}`,
      "-H",
      "Access-Control-Request-Method: POST",
      "-H",
      "Access-Control-Request-Headers: content-type,connect-protocol-version,x-grpc-web",
      `${server.url}/anykv.v1.StoreService/Get`,
    );
    expect(res.status).toBe(204);
    const headers = res.text.toLowerCase();
    expect(headers).toContain(`access-control-allow-origin: ${ORIGIN}`);
    expect(headers).toMatch(/access-control-allow-methods: [^\r]*post/);
    expect(headers).toMatch(/access-control-allow-headers: [^\r]*connect-protocol-version/);
    expect(headers).toMatch(/access-control-allow-headers: [^\r]*x-grpc-web/);
  });

  it("lets an allowed origin read responses and headers, with fetch", async () => {
    const res = await fetch(`${server.url}/anykv.v1.StoreService/Exists`, {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/json" },
      body: '{"key":"curl/json"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toContain("Grpc-Status");
    expect(res.headers.get("vary")).toContain("Origin");
    // The anystore HTTP API too: a browser may read x-anystore-* and ranges.
    const preflight = await fetch(`${server.url}/anystore/k`, {
      method: "OPTIONS",
      headers: {
        Origin: ORIGIN,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "range",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PUT");
  });

  it("refuses other origins, and is off unless configured", async () => {
    const res = await fetch(`${server.url}/anykv.v1.StoreService/Get`, {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(await res.text()).toContain("--cors-origin https://evil.example");
    const plain = await startTestServer({ backend: "memory" });
    const off = await fetch(`${plain.url}/anykv.v1.StoreService/Exists`, {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/json" },
      body: '{"key":"x"}',
    });
    expect(off.status).toBe(200);
    expect(off.headers.get("access-control-allow-origin")).toBeNull();
  });
});
