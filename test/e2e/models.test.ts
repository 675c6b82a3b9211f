import { create, equals } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  type AnykvStore,
  createStore,
  type Protocol,
  type StandardSchemaV1,
} from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { TeamSchema } from "../models/gen/acme/v1/team_pb.js";
import { Role, type User, User_AddressSchema, UserSchema } from "../models/gen/acme/v1/user_pb.js";
import { startTestServer, uniqueKey } from "../support/server.js";

/** The error a promise rejects with, as a ConnectError with its BadRequest field violations. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    const e = err as ConnectError;
    const violations = e
      .findDetails(BadRequestSchema)
      .flatMap((d) => d.fieldViolations.map(({ field, description }) => ({ field, description })));
    return { code: e.code, message: e.rawMessage, fields: violations.map((v) => v.field), violations };
  }
  throw new Error("expected the call to fail");
}

const alice = (): User =>
  create(UserSchema, {
    id: "u-1",
    email: "alice@example.com",
    age: 34,
    role: Role.ADMIN,
    address: { street: "1 Main St", city: "Springfield", zip: "12345" },
    tags: ["a", "b"],
    scores: { chess: 1200n, go: 9007199254740993n },
    createdAt: timestampFromDate(new Date("2024-05-01T12:00:00Z")),
    sessionTtl: { seconds: 3600n, nanos: 500_000_000 },
    attributes: { plan: "pro", flags: [true, null], nested: { n: 1.5 } },
    contact: { case: "slack", value: "@alice" },
    previousAddresses: [create(User_AddressSchema, { city: "Shelbyville", zip: "54321" })],
  });

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});

describe.each<Protocol>(["grpc", "connect", "grpc-web"])("protobuf models over %s", (protocol) => {
  let store: AnykvStore;
  beforeAll(() => {
    store = createStore({ baseUrl: server.url, transport: protocol, namespace: `models-${protocol}` });
  });

  it("registers the schema on first use, stores the model's JSON and reads a typed message back", async () => {
    const user = alice();
    const info = await store.put("users/alice", user, { model: UserSchema });
    expect(info).toMatchObject({ model: "acme.v1.User", kind: "message", codec: "json" });
    const got = await store.get("users/alice", { model: UserSchema });
    expect(got.$typeName).toBe("acme.v1.User");
    expect(equals(UserSchema, got, user)).toBe(true);
    expect(got.scores.go).toBe(9007199254740993n);
    // Without the model, the data dictionary: the canonical proto3 JSON.
    expect(await store.get("users/alice")).toMatchObject({
      id: "u-1",
      role: "ROLE_ADMIN",
      address: { city: "Springfield", zip: "12345" },
      scores: { chess: "1200", go: "9007199254740993" },
      createdAt: "2024-05-01T12:00:00Z",
      sessionTtl: "3600.500s",
      attributes: { plan: "pro", flags: [true, null], nested: { n: 1.5 } },
      slack: "@alice",
    });
  });

  it("accepts the init shape, and JSON shaped like the model by name", async () => {
    await store.put(
      "users/bob",
      { id: "u-2", email: "bob@example.com", role: Role.MEMBER },
      { model: UserSchema },
    );
    expect((await store.get("users/bob", { model: UserSchema })).email).toBe("bob@example.com");
    const json = { id: "u-3", email: "c@example.com", scores: { x: "5" }, createdAt: "2024-01-01T00:00:00Z" };
    const info = await store.put("users/carol", json, { model: "acme.v1.User" });
    expect(info?.model).toBe("acme.v1.User");
    const carol = await store.get("users/carol", { model: UserSchema });
    expect(carol.scores.x).toBe(5n);
  });

  it("refuses values that break buf.validate rules, with every field path in BadRequest", async () => {
    const bad = {
      ...alice(),
      email: "not-an-email",
      address: create(User_AddressSchema, { city: "", zip: "1" }),
    };
    const f = await failure(store.put(uniqueKey(), bad, { model: UserSchema }));
    expect(f.code).toBe(Code.InvalidArgument);
    expect(f.fields).toEqual(expect.arrayContaining(["email", "address.city", "address.zip"]));
    expect(f.message).toContain(`is not a valid acme.v1.User: ${f.violations[0]?.field}: `);
    const cel = await failure(
      store.put(uniqueKey(), { id: "k", role: Role.ADMIN, age: 10 }, { model: UserSchema }),
    );
    expect(cel.violations).toContainEqual({ field: "", description: "admins must be at least 18" });
    const tags = ["1", "2", "3", "4", "5", "6"];
    const tooMany = await failure(
      store.put(uniqueKey(), { id: "k", email: "k@x.io", tags }, { model: UserSchema }),
    );
    expect(tooMany.fields).toEqual(["tags"]);
  });

  it("parses JSON strictly: unknown fields and wrong types name their path", async () => {
    const model = { model: "acme.v1.User" } as const;
    const unknown = await failure(store.put(uniqueKey(), { id: "x", nickname: "al" }, model));
    expect([unknown.code, unknown.fields]).toEqual([Code.InvalidArgument, ["nickname"]]);
    const nested = await failure(
      store.put(uniqueKey(), { id: "x", address: { city: "a", bogus: 1 } }, model),
    );
    expect(nested.fields).toEqual(["address.bogus"]);
    const listItem = await failure(
      store.put(uniqueKey(), { id: "x", previousAddresses: [{ city: "a" }, { zip: 5 }] }, model),
    );
    expect(listItem.fields).toEqual(["previous_addresses[1].zip"]);
    const wrongType = await failure(store.put(uniqueKey(), { id: "x", age: "old" }, model));
    expect(wrongType.fields).toEqual(["age"]);
    const badEnum = await failure(store.put(uniqueKey(), { id: "x", role: "ROLE_GOD" }, model));
    expect(badEnum.fields).toEqual(["role"]);
    expect((await failure(store.put(uniqueKey(), "text", model))).code).toBe(Code.InvalidArgument);
  });

  it("answers NOT_FOUND for an unknown model, on put and get", async () => {
    expect((await failure(store.put(uniqueKey(), { a: 1 }, { model: "acme.v1.Nobody" }))).code).toBe(
      Code.NotFound,
    );
    await store.put("plain", { a: 1 });
    expect((await failure(store.get("plain", { model: "acme.v1.Nobody" }))).code).toBe(Code.NotFound);
  });

  it("validates stored data on get (FAILED_PRECONDITION) unless modelValidate is false", async () => {
    await store.put("legacy", { id: "", email: "nope", age: 3 });
    const f = await failure(store.get("legacy", { model: UserSchema }));
    expect(f.code).toBe(Code.FailedPrecondition);
    expect(f.fields).toEqual(expect.arrayContaining(["id", "email"]));
    const fast = await store.get("legacy", { model: UserSchema, modelValidate: false });
    expect([fast.id, fast.email, fast.age]).toEqual(["", "nope", 3]);
    expect((await failure(store.get("legacy", { model: UserSchema, mode: "raw" }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("registers a file with its imports, and pops typed messages", async () => {
    const team = create(TeamSchema, { name: "core", members: [alice()] });
    await store.put("teams/core", team, { model: TeamSchema });
    const popped = await store.pop("teams/core", { model: TeamSchema });
    expect(equals(TeamSchema, popped, team)).toBe(true);
    expect(await store.exists("teams/core")).toBe(false);
    const empty = await failure(store.put(uniqueKey(), { name: "none" }, { model: TeamSchema }));
    expect(empty.fields).toEqual(["members"]);
  });
});

describe("JSON Schema models from Node", () => {
  const personSchema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      name: { type: "string", minLength: 1 },
      email: { type: "string", format: "email" },
      tags: { type: "array", items: { type: "string" }, default: [] },
    },
    required: ["name"],
    additionalProperties: false,
  };
  interface Person {
    name: string;
    email?: string;
    tags: string[];
  }

  it("validates with ajv (draft 7, formats), fills defaults and returns json", async () => {
    const store = createStore({ baseUrl: server.url, namespace: "json-schema" });
    await store.models.registerJsonSchema("node.Person", personSchema);
    const info = await store.put("p/1", { name: "Ann", email: "ann@example.com" }, { model: "node.Person" });
    expect(info).toMatchObject({ model: "node.Person", kind: "json", codec: "json" });
    const ann = await store.get<Person>("p/1", { model: "node.Person" });
    expect(ann).toEqual({ name: "Ann", email: "ann@example.com", tags: [] });
    const f = await failure(store.put("p/2", { email: "nope", extra: 1 }, { model: "node.Person" }));
    expect(f.code).toBe(Code.InvalidArgument);
    expect(f.fields).toEqual(expect.arrayContaining(["name", "extra", "email"]));
    const wrongKind = await failure(store.put("p/3", alice(), { model: UserSchema, mode: "raw" }));
    expect(wrongKind.code).toBe(Code.InvalidArgument);
  });

  it("types and checks values client-side with a Standard Schema validator", async () => {
    const store = createStore({ baseUrl: server.url, namespace: "standard-schema" });
    await store.models.registerJsonSchema("node.Person", personSchema);
    const person: StandardSchemaV1<unknown, Person> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: (v) =>
          typeof v === "object" && v !== null && typeof (v as Person).name === "string"
            ? { value: v as Person }
            : { issues: [{ message: "expected a string", path: ["name"] }] },
      },
    };
    await store.put("p", { name: "Bo" }, { model: "node.Person", schema: person });
    const bo = await store.get<Person>("p", { model: "node.Person", schema: person });
    expect(bo.tags).toEqual([]);
    await expect(store.put("q", { name: 1 }, { schema: person })).rejects.toThrow("name: expected a string");
  });
});
