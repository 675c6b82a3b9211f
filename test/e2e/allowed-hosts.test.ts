import http from "node:http";
import net from "node:net";
import { Code } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { codeOf } from "../support/connect-errors.js";
import { PROTOCOLS, transportFor } from "../support/protocols.js";
import { startTestServer } from "../support/server.js";

/** A plain HTTP/1.1 request with the Host header we choose. */
function request(
  server: RunningServer,
  path: string,
  host: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: server.port,
          path,
          method: init.method ?? "GET",
          headers: { ...init.headers, Host: host },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      req.end(init.body);
    },
  );
}

/** Connect JSON's Exists, with the Host header we choose. */
const exists = (server: RunningServer, host: string) =>
  request(server, "/anykv.v1.StoreService/Exists", host, {
    method: "POST",
    body: '{"key":"k"}',
    headers: { "Content-Type": "application/json" },
  });

describe("--allowed-hosts", () => {
  let guarded: RunningServer;
  let open: RunningServer;
  beforeAll(async () => {
    [guarded, open] = await Promise.all([
      startTestServer({ backend: "memory", allowedHosts: ["localhost", ".example.com"] }),
      startTestServer({ backend: "memory" }),
    ]);
  });

  it.each(PROTOCOLS)("refuses RPCs for another Host with PERMISSION_DENIED over %s", async (transport) => {
    // The client connects to 127.0.0.1, so it sends Host 127.0.0.1:port, which is not allowed.
    const store = createStore({ baseUrl: guarded.url, transport: transportFor(guarded.url, transport) });
    expect(await codeOf(store.put("k", "v"))).toBe(Code.PermissionDenied);
    expect(await codeOf(store.exists("k"))).toBe(Code.PermissionDenied);
    const keys = async () => {
      for await (const _ of store.keys()) break;
    };
    expect(await codeOf(keys())).toBe(Code.PermissionDenied);
    expect(await guarded.store.get("", "k")).toBeUndefined();
  });

  it("names the flag in the refusal, and answers allowed hosts (any port, subdomains)", async () => {
    const refused = await exists(guarded, "evil.test:80");
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({
      code: "permission_denied",
      message: expect.stringContaining("--allowed-hosts"),
    });
    for (const host of ["localhost:1234", "LOCALHOST", "example.com", "api.example.com:8080"]) {
      const ok = await exists(guarded, host);
      expect([host, ok.status, ok.body]).toEqual([host, 200, "{}"]);
    }
  });

  it("answers the anystore API 421 for other hosts, and never echoes an unchecked Host", async () => {
    const put = await request(guarded, "/anystore/h/a", "attacker.test", { method: "PUT", body: "x" });
    expect(put.status).toBe(421);
    expect(JSON.parse(put.body).detail).toContain("--allowed-hosts");
    expect(await guarded.store.get("", "h/a")).toBeUndefined();

    expect(
      (await request(guarded, "/anystore/h/a", "api.example.com", { method: "PUT", body: "x" })).status,
    ).toBe(201);
    const head = await request(guarded, "/anystore/h/a", "api.example.com", { method: "HEAD" });
    expect(head.headers["x-anystore-store"]).toBe("http://api.example.com/anystore");

    // Without the check, x-anystore-store is the server's own address, whatever Host says.
    expect((await request(open, "/anystore/h/a", "attacker.test", { method: "PUT", body: "x" })).status).toBe(
      201,
    );
    const echoed = await request(open, "/anystore/h/a", "attacker.test", { method: "HEAD" });
    expect(echoed.headers["x-anystore-store"]).toBe(`${open.url}/anystore`);
  });

  it("is off by default: any Host is answered", async () => {
    const ok = await exists(open, "anything.test");
    expect(ok.status).toBe(200);
  });
});

describe("a request without a Host header (HTTP/1.0)", () => {
  it("gets 400 and the server keeps serving (connect-node threw where nothing caught it)", async () => {
    const server = await startTestServer({ backend: "memory" });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, "127.0.0.1", () => {
        socket.end(
          "POST /anykv.v1.StoreService/Exists HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        );
      });
      let out = "";
      socket.on("data", (chunk) => {
        out += chunk;
      });
      socket.on("close", () => resolve(out));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.[01] 400/);
    expect(answer).toContain("no Host header");
    const ok = await exists(server, "localhost");
    expect(ok.status).toBe(200);
  });
});
