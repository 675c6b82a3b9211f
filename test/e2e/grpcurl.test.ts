import { beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, uniqueKey } from "../support/server.js";
import { type RunResult, run } from "../support/tools.js";

// grpcurl, for real: no proto files, everything it knows comes from server reflection.
let server: RunningServer;
let addr: string;
beforeAll(async () => {
  server = await startTestServer({ allowCode: true }); // the cookbook stores a code value
  addr = `127.0.0.1:${server.port}`;
});

const grpcurl = (...args: string[]) => run("grpcurl", ["-plaintext", ...args]);
const call = (method: string, body: unknown) =>
  grpcurl("-d", JSON.stringify(body), addr, `anykv.v1.StoreService/${method}`);
const ok = (result: RunResult) => {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
};
const json = async (method: string, body: unknown) => JSON.parse(ok(await call(method, body)));

describe("grpcurl through server reflection", () => {
  it("lists the services", async () => {
    const services = ok(await grpcurl(addr, "list"))
      .trim()
      .split("\n");
    expect(services).toEqual(
      expect.arrayContaining([
        "anykv.v1.StoreService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
    const methods = ok(await grpcurl(addr, "list", "anykv.v1.StoreService"))
      .trim()
      .split("\n");
    expect(methods).toEqual(
      expect.arrayContaining(["anykv.v1.StoreService.Put", "anykv.v1.StoreService.ListKeys"]),
    );
  });

  it("describes StoreService and Value", async () => {
    const service = ok(await grpcurl(addr, "describe", "anykv.v1.StoreService"));
    expect(service).toContain("anykv.v1.StoreService is a service:");
    expect(service).toContain("rpc Put ( .anykv.v1.PutRequest ) returns ( .anykv.v1.PutResponse );");
    expect(service).toContain(
      "rpc ListKeys ( .anykv.v1.ListKeysRequest ) returns ( stream .anykv.v1.ListKeysResponse )",
    );
    const value = ok(await grpcurl(addr, "describe", "anykv.v1.Value"));
    expect(value).toContain("anykv.v1.Value is a message:");
    for (const field of [
      "bytes raw = 1;",
      "string text = 2;",
      ".google.protobuf.Value json = 3;",
      ".anykv.v1.Data data = 4;",
      ".google.protobuf.Any message = 5;",
      ".anykv.v1.Code code = 6;",
    ]) {
      expect(value).toContain(field);
    }
    // A method and a nested member resolve too (file_containing_symbol of a member).
    expect(ok(await grpcurl(addr, "describe", "anykv.v1.StoreService.Get"))).toContain("rpc Get");
  });

  const roundTrip = async (values: Record<string, unknown>) => {
    const key = uniqueKey("grpcurl");
    for (const [kind, value] of Object.entries(values)) {
      const put = await json("Put", { key: `${key}/${kind}`, value });
      expect(put.stored).toBe(true);
      expect(put.info.kind).toBe(kind);
      const got = await json("Get", { key: `${key}/${kind}` });
      expect(got.found).toBe(true);
      expect(got.value).toEqual(value);
    }
    return key;
  };

  it("puts and gets raw (base64), text and json typed as JSON", async () => {
    const key = await roundTrip({
      raw: { raw: Buffer.from([0, 1, 2, 255]).toString("base64") },
      text: { text: "grüße, grpcurl" },
      json: { json: { a: [1, 2.5, "x"], nested: { ok: true, none: null } } },
    });
    const raw = await json("Get", { key: `${key}/text`, mode: "MODE_RAW" });
    expect(Buffer.from(raw.value.raw, "base64").toString()).toBe("grüße, grpcurl");
  });

  // These two are stored with the pickle codec (auto mode: not exact JSON).
  it("puts and gets data trees and code typed as JSON", async () => {
    await roundTrip({
      data: {
        data: {
          mapValue: {
            entries: [
              { key: { intValue: "1" }, value: { intValue: "123456789012345678901234567890" } },
              { key: { stringValue: "when" }, value: { dateValue: { year: 2024, month: 2, day: 29 } } },
              { key: { stringValue: "set" }, value: { setValue: { items: [{ boolValue: true }] } } },
            ],
          },
        },
      },
      code: { code: { language: "python", source: "lambda x: x + 1" } },
    });
  });

  it("streams ListKeys", async () => {
    const prefix = uniqueKey("grpcurl-list");
    for (const name of ["b", "a", "c/d"])
      await json("Put", { key: `${prefix}/${name}`, value: { text: name } });
    const out = ok(await call("ListKeys", { prefix }));
    // One JSON object per streamed message.
    const keys = out
      .trim()
      .split(/\n(?=\{)/)
      .flatMap((chunk) => JSON.parse(chunk).keys);
    expect(keys).toEqual([`${prefix}/a`, `${prefix}/b`, `${prefix}/c/d`]);
  });

  it("shows NotFound and InvalidArgument", async () => {
    const missing = await call("Get", { key: uniqueKey("grpcurl-missing") });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("Code: NotFound");
    expect(missing.stderr).toMatch(/Message: key ".*" does not exist/);
    const bad = await call("Put", { key: "../etc/passwd", value: { text: "x" } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Code: InvalidArgument");
    const notBytes = await call("Put", { key: uniqueKey(), value: { text: "x" }, mode: "MODE_RAW" });
    expect(notBytes.stderr).toContain("Code: InvalidArgument");
    expect(notBytes.stderr).toContain("not bytes");
  });

  // grpcurl decodes the status details (grpc-status-details-bin) with the types reflection
  // serves: the ErrorInfo's reason, BadRequest's fields, PreconditionFailure's key.
  const status = async (method: string, body: unknown) => {
    const result = await grpcurl(
      "-format-error",
      "-d",
      JSON.stringify(body),
      addr,
      `anykv.v1.StoreService/${method}`,
    );
    expect(result.code).not.toBe(0);
    // -format-error prints the google.rpc.Status as JSON (on stderr).
    return JSON.parse(result.stderr) as {
      code: number;
      message: string;
      details: ({ "@type": string } & Record<string, unknown>)[];
    };
  };
  const detail = (details: ({ "@type": string } & Record<string, unknown>)[], type: string) =>
    details.find((d) => d["@type"] === `type.googleapis.com/google.rpc.${type}`);

  it("prints each error's ErrorInfo, BadRequest and PreconditionFailure", async () => {
    const missing = await grpcurl(
      "-d",
      JSON.stringify({ key: uniqueKey("gone") }),
      addr,
      "anykv.v1.StoreService/Get",
    );
    expect(missing.stderr).toContain("google.rpc.ErrorInfo");
    expect(missing.stderr).toContain('"reason": "NOT_FOUND"');

    const badKey = await status("Put", { key: "../etc/passwd", value: { text: "x" } });
    expect(badKey.code).toBe(3);
    expect(detail(badKey.details, "ErrorInfo")).toEqual({
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "INVALID_KEY",
      domain: "anykv",
    });

    const constraint = await status("ListValues", { limit: -1, mode: 9 });
    expect(constraint.code).toBe(3);
    expect(detail(constraint.details, "ErrorInfo")).toMatchObject({ reason: "INVALID_ARGUMENT" });
    expect(detail(constraint.details, "BadRequest")?.fieldViolations).toEqual([
      { field: "limit", description: "must be greater than or equal to 0" },
      { field: "mode", description: "value must be one of the defined enum values" },
    ]);

    const key = uniqueKey("grpcurl-cond");
    await json("Put", { key, value: { text: "1" } });
    const conflict = await status("Put", { key, value: { text: "2" }, precondition: { absent: true } });
    expect(conflict.code).toBe(10);
    expect(detail(conflict.details, "ErrorInfo")).toMatchObject({
      reason: "CONFLICT",
      metadata: { key, precondition: "absent" },
    });
    expect(detail(conflict.details, "PreconditionFailure")?.violations).toEqual([
      { type: "ABSENT", subject: key, description: conflict.message },
    ]);
  });
});
