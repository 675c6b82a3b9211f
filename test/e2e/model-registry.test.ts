import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import { startServer } from "../../src/server/server.js";
import { buildTestModels } from "../models/build.js";
import { TeamSchema } from "../models/gen/acme/v1/team_pb.js";
import { UserSchema } from "../models/gen/acme/v1/user_pb.js";
import { startTestServer } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok" as const,
    (err: unknown) => (err instanceof ConnectError ? err.code : err),
  );

describe("ModelService", () => {
  it("lists, describes and deletes models; a file in use cannot go", async () => {
    const server = await startTestServer();
    const store = createStore({ baseUrl: server.url });
    // Every model of the request: team.proto and user.proto, which it imports.
    expect(await store.models.register(TeamSchema)).toEqual([
      { name: "acme.v1.Team", kind: "protobuf", file: "acme/v1/team.proto" },
      { name: "acme.v1.User", kind: "protobuf", file: "acme/v1/user.proto" },
      { name: "acme.v1.User.Address", kind: "protobuf", file: "acme/v1/user.proto" },
    ]);
    await store.models.registerJsonSchema("py.Thing", { type: "object" });
    const names = (await store.models.list()).map((m) => `${m.name}:${m.kind}`);
    expect(names).toEqual([
      "acme.v1.Team:protobuf",
      "acme.v1.User:protobuf",
      "acme.v1.User.Address:protobuf",
      "py.Thing:json-schema",
    ]);
    const user = await store.models.rpc.getModel({ name: "acme.v1.User" });
    expect(user.definition.case).toBe("descriptorSet");
    const set = fromBinary(FileDescriptorSetSchema, user.definition.value as Uint8Array);
    expect(set.file.map((f) => f.name)).toContain("acme/v1/user.proto");
    expect((await store.models.rpc.getModel({ name: "py.Thing" })).definition).toMatchObject({
      case: "jsonSchema",
      value: { type: "object" },
    });
    expect(await codeOf(store.models.rpc.getModel({ name: "nope" }))).toBe(Code.NotFound);
    expect(await codeOf(store.models.delete("acme.v1.User"))).toBe(Code.FailedPrecondition);
    expect(await store.models.delete("acme.v1.Team")).toEqual(["acme.v1.Team"]);
    expect((await store.models.delete("acme.v1.User")).sort()).toEqual([
      "acme.v1.User",
      "acme.v1.User.Address",
    ]);
    expect(await store.models.delete("acme.v1.User")).toEqual([]);
    expect((await store.models.list()).map((m) => m.name)).toEqual(["py.Thing"]);
  });

  it("needs replace for a different schema under a registered name (ALREADY_EXISTS)", async () => {
    const server = await startTestServer();
    const { models } = createStore({ baseUrl: server.url });
    await models.registerJsonSchema("v", { type: "string" });
    await models.registerJsonSchema("v", { type: "string" }); // identical: fine
    expect(await codeOf(models.registerJsonSchema("v", { type: "number" }))).toBe(Code.AlreadyExists);
    await models.registerJsonSchema("v", { type: "number" }, { replace: true });
    expect(await codeOf(models.registerJsonSchema(UserSchema.typeName, {}))).toBe("ok");
    expect(await codeOf(models.register(UserSchema))).toBe(Code.AlreadyExists);
    expect(await codeOf(models.registerJsonSchema("bad", { type: "nonsense" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(models.rpc.registerModels({ descriptorSet: new Uint8Array([1, 2, 3]) }))).toBe(
      Code.InvalidArgument,
    );
  });

  it("serializes concurrent registrations: identical ones all succeed, conflicting ones once", async () => {
    const server = await startTestServer();
    const clients = Array.from({ length: 12 }, () => createStore({ baseUrl: server.url }));
    const same = await Promise.all(
      clients.map((c, i) => c.put(`u/${i}`, { id: `${i}`, email: "a@b.co" }, { model: UserSchema })),
    );
    expect(same.every((info) => info?.model === "acme.v1.User")).toBe(true);
    const rivals = await Promise.all(
      clients.map((c, i) => codeOf(c.models.registerJsonSchema("race", { type: "object", title: `v${i}` }))),
    );
    expect(rivals.filter((r) => r === "ok")).toHaveLength(1);
    expect(rivals.filter((r) => r === Code.AlreadyExists)).toHaveLength(11);
    const names = (await clients[0]!.models.list()).map((m) => m.name);
    expect(names.filter((n) => n === "race")).toHaveLength(1);
  });
});

describe("models persist and load at start-up", () => {
  it("survive a restart on the same data directory", async () => {
    const data = join(tempDir(), "data");
    const first = await startServer({ port: 0, data });
    const a = createStore({ baseUrl: first.url });
    await a.put("alice", { id: "a", email: "a@example.com" }, { model: UserSchema });
    await a.models.registerJsonSchema("py.Person", { type: "object", required: ["name"] });
    await first.close();

    const second = await startServer({ port: 0, data });
    try {
      const b = createStore({ baseUrl: second.url });
      expect((await b.models.list()).map((m) => m.name)).toEqual([
        "acme.v1.User",
        "acme.v1.User.Address",
        "py.Person",
      ]);
      expect((await b.get("alice", { model: UserSchema })).email).toBe("a@example.com");
      expect(await codeOf(b.put("p", {}, { model: "py.Person" }))).toBe(Code.InvalidArgument);
    } finally {
      await second.close();
    }
  });

  it("registers --models descriptor sets, and applies --default-model to puts and gets without one", async () => {
    const dir = tempDir();
    const server = await startTestServer({ models: [buildTestModels(dir)], defaultModel: "acme.v1.User" });
    const store = createStore({ baseUrl: server.url });
    expect((await store.models.list()).map((m) => m.name)).toEqual([
      "acme.v1.Team",
      "acme.v1.User",
      "acme.v1.User.Address",
    ]);
    expect(await codeOf(store.put("x", { id: "x", nickname: "y" }))).toBe(Code.InvalidArgument);
    const info = await store.put("x", { id: "x", email: "x@example.com" });
    expect(info?.model).toBe("acme.v1.User");
    const got = await store.get<{ $typeName: string }>("x");
    expect(got.$typeName).toBe("google.protobuf.Any");
    expect((await store.get("x", { model: UserSchema })).id).toBe("x");
    // Touch stores a datetime, not model data: the default model does not apply to it.
    expect(await codeOf(store.touch("t"))).not.toBe(Code.InvalidArgument);
  });
});
