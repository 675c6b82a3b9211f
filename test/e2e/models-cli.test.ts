import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import { buildTestModels } from "../models/build.js";
import { TeamSchema } from "../models/gen/acme/v1/team_pb.js";
import { UserSchema } from "../models/gen/acme/v1/user_pb.js";
import { runCli, spawnServer } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok" as const,
    (err: unknown) => (err instanceof ConnectError ? err.code : err),
  );

const ACME = ["acme.v1.Team", "acme.v1.User", "acme.v1.User.Address"];

let dir: string;
let models: string;
beforeAll(() => {
  dir = tempDir();
  models = buildTestModels(dir);
});

describe("anykv serve --models and --default-model (the built CLI)", () => {
  it("registers a descriptor set's messages and applies the default model to puts and gets without one", async () => {
    const server = await spawnServer([
      "--backend",
      "memory",
      "--models",
      models,
      "--default-model",
      "acme.v1.User",
    ]);
    const store = createStore({ baseUrl: server.url });
    expect((await store.models.list()).map((m) => m.name)).toEqual(ACME);
    expect(await codeOf(store.put("bad", { id: "b", email: "not-an-email" }))).toBe(Code.InvalidArgument);
    expect((await store.put("ada", { id: "a", email: "ada@example.com" }))?.model).toBe("acme.v1.User");
    expect(await store.get<{ $typeName: string }>("ada")).toMatchObject({ $typeName: "google.protobuf.Any" });
    expect((await store.get("ada", { model: UserSchema })).email).toBe("ada@example.com");
    // The Node client's generated schema is the same file: registering it changes nothing.
    expect(await codeOf(store.models.register(TeamSchema))).toBe("ok");
    expect(await server.stop()).toBe(0);
  });

  it("takes ANYKV_MODELS (comma-separated) and ANYKV_DEFAULT_MODEL, and flags over them", async () => {
    const copy = join(dir, "copy.binpb");
    writeFileSync(copy, readFileSync(models));
    const env = {
      ANYKV_BACKEND: "memory",
      ANYKV_MODELS: `${models}, ${copy}`,
      ANYKV_DEFAULT_MODEL: "acme.v1.Team",
    };
    const fromEnv = await spawnServer([], env);
    const a = createStore({ baseUrl: fromEnv.url });
    expect((await a.models.list()).map((m) => m.name)).toEqual(ACME);
    expect(await codeOf(a.put("t", { name: "core" }))).toBe(Code.InvalidArgument); // a Team needs members
    expect((await a.put("t", { name: "core", members: [{ id: "u", email: "u@example.com" }] }))?.model).toBe(
      "acme.v1.Team",
    );
    await fromEnv.stop();

    const flagged = await spawnServer(["--models", models, "--default-model", "acme.v1.User"], {
      ...env,
      ANYKV_MODELS: join(dir, "missing.binpb"),
    });
    const b = createStore({ baseUrl: flagged.url });
    expect((await b.put("u", { id: "u", email: "u@example.com" }))?.model).toBe("acme.v1.User");
    await flagged.stop();
  });

  it("keeps start-up models in the data directory, and a default model may be registered later", async () => {
    const data = join(tempDir(), "data");
    const first = await spawnServer(["--data", data, "--models", models]);
    await first.stop();
    const second = await spawnServer(["--data", data, "--default-model", "py.Later"]);
    const store = createStore({ baseUrl: second.url });
    expect((await store.models.list()).map((m) => m.name)).toEqual(ACME);
    expect(await codeOf(store.put("p", { name: "x" }))).toBe(Code.NotFound);
    await store.models.registerJsonSchema("py.Later", { type: "object", required: ["name"] });
    expect((await store.put("p", { name: "x" }))?.model).toBe("py.Later");
    await second.stop();
  });

  it("refuses to start on a models file it cannot use, naming the file, without a stack trace", async () => {
    const missing = join(dir, "missing.binpb");
    const garbage = join(dir, "garbage.binpb");
    writeFileSync(garbage, new Uint8Array([0xff, 0xff, 0xff]));
    const teamOnly = join(dir, "team-only.binpb");
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(models));
    const file = set.file.filter((f) => f.name !== "acme/v1/user.proto");
    writeFileSync(teamOnly, toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file })));
    const cases: [string, string][] = [
      [missing, `no such file or directory, open '${missing}'`],
      [garbage, `${garbage}: descriptor_set is not a serialized google.protobuf.FileDescriptorSet`],
      [teamOnly, `${teamOnly}: protobuf file "acme/v1/team.proto" imports "acme/v1/user.proto"`],
    ];
    for (const [path, message] of cases) {
      const run = await runCli(["serve", "--port", "0", "--backend", "memory", "--models", path]);
      expect(run.code, run.output).toBe(1);
      expect(run.output).toContain(message);
      expect(run.output).not.toMatch(/\n\s+at /);
    }
  });
});
