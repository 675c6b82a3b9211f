import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";
import { run } from "../support/tools.js";

interface Person {
  name: string;
  age: number;
  kind: "staff" | "guest";
  address: { city: string; zip: string };
  tags: string[];
  born?: string | null;
}

let server: RunningServer;
let python: {
  schema_keys: string[];
  registered: [string, string][];
  put: { model: string; kind: string };
  got: Person;
  invalid: { code: string; message: string; fields: string[] };
};

beforeAll(async () => {
  server = await startTestServer();
  const stubs = tempDir("anykv-py-stubs-");
  const gen = await run("bash", ["scripts/gen-python.sh", stubs]);
  expect(gen.code, gen.stderr).toBe(0);
  const res = await run("python3", [
    "test/python/models_client.py",
    server.url.replace("http://", ""),
    stubs,
  ]);
  expect(res.code, res.stderr).toBe(0);
  python = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}");
});

describe("a pydantic model registered from Python, used from Node", () => {
  it("registers Person.model_json_schema() through ModelService", () => {
    expect(python.schema_keys).toEqual(expect.arrayContaining(["$defs", "properties", "required"]));
    expect(python.registered).toEqual([["py.Person", "MODEL_KIND_JSON_SCHEMA"]]);
    expect(python.put).toEqual({ model: "py.Person", kind: "json" });
    expect(python.got).toMatchObject({ name: "Ada", age: 36, kind: "guest", address: { zip: "12345" } });
  });

  it("gives Python the field paths of an invalid value in google.rpc.BadRequest", () => {
    expect(python.invalid.code).toBe("INVALID_ARGUMENT");
    expect(python.invalid.fields).toEqual(expect.arrayContaining(["name", "age", "address.zip"]));
    expect(python.invalid.message).toMatch(/is not a valid py\.Person: /);
  });

  it("validates a Node client's puts: a valid one is stored, an invalid one fails with the field path", async () => {
    const store = createStore({ baseUrl: server.url, namespace: "from-node" });
    const info = await store.put(
      "people/grace",
      {
        name: "Grace",
        age: 85,
        kind: "staff",
        address: { city: "Arlington", zip: "22201" },
        born: "1906-12-09T00:00:00Z",
      },
      { model: "py.Person" },
    );
    expect(info?.model).toBe("py.Person");
    const grace = await store.get<Person>("people/grace", { model: "py.Person" });
    expect(grace).toMatchObject({ name: "Grace", tags: [], address: { city: "Arlington" } });

    const err = await store
      .put(
        "people/bad",
        { name: "Bad", age: 30, address: { city: "Nowhere", zip: "ABCDE" }, kind: "boss" },
        { model: "py.Person" },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    const e = err as ConnectError;
    expect(e.code).toBe(Code.InvalidArgument);
    const fields = e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
    expect(fields).toEqual(expect.arrayContaining(["address.zip", "kind"]));
    expect(e.rawMessage).toContain("py.Person");
  });
});
