import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";

const run = promisify(execFile);
let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});

/** curl, speaking Connect's JSON protocol over HTTP/1.1 to the same port as gRPC. */
async function curl(
  method: string,
  body: object,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const { stdout } = await run("curl", [
    "--silent",
    "--http1.1",
    "-H",
    "Content-Type: application/json",
    "-d",
    JSON.stringify(body),
    "-w",
    "\n%{http_code}",
    `${server.url}/anykv.v1.StoreService/${method}`,
  ]);
  const lines = stdout.trimEnd().split("\n");
  const status = Number(lines.pop());
  return { status, json: JSON.parse(lines.join("\n")) as Record<string, unknown> };
}

describe("Connect JSON over plain HTTP/1.1 (curl)", () => {
  it("puts and gets text, json, raw and data values", async () => {
    const key = uniqueKey();
    expect((await curl("Put", { key, value: { text: "hello" } })).status).toBe(200);
    expect((await curl("Get", { key })).json).toMatchObject({ found: true, value: { text: "hello" } });

    await curl("Put", { key: `${key}/j`, value: { json: { a: [1, "two", null] } } });
    expect((await curl("Get", { key: `${key}/j` })).json).toMatchObject({
      value: { json: { a: [1, "two", null] } },
    });

    await curl("Put", { key: `${key}/r`, value: { raw: Buffer.from("bytes!").toString("base64") } });
    expect((await curl("Get", { key: `${key}/r` })).json).toMatchObject({ value: { raw: "Ynl0ZXMh" } });

    const tree = { listValue: { items: [{ intValue: "9007199254740993" }, { stringValue: "x" }] } };
    await curl("Put", { key: `${key}/d`, value: { data: tree }, mode: "MODE_PICKLE" });
    expect((await curl("Get", { key: `${key}/d` })).json).toMatchObject({ value: { data: tree } });
  });

  it("answers errors with Connect's status codes and messages", async () => {
    const missing = await curl("Get", { key: uniqueKey() });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: "not_found" });
    const bad = await curl("Put", { key: "a/../b", value: { text: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("..") });
    const lenient = await curl("Get", { key: uniqueKey(), raiseOnNonexist: false });
    expect(lenient).toMatchObject({ status: 200, json: {} });
  });

  it("serves HTTP/1.1 and HTTP/2 on one port", async () => {
    const h2 = await run("curl", [
      "--silent",
      "--http2-prior-knowledge",
      "-H",
      "Content-Type: application/json",
      "-d",
      "{}",
      "-o",
      "/dev/null",
      "-w",
      "%{http_version}",
      `${server.url}/anykv.v1.StoreService/ListKeys`,
    ]);
    expect(h2.stdout).toBe("2");
    const h1 = await run("curl", [
      "--silent",
      "--http1.1",
      "-H",
      "Content-Type: application/json",
      "-d",
      '{"key":"x"}',
      "-o",
      "/dev/null",
      "-w",
      "%{http_version}",
      `${server.url}/anykv.v1.StoreService/Exists`,
    ]);
    expect(h1.stdout).toBe("1.1");
  });
});
