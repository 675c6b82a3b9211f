import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  BatchRequestSchema,
  GetRequestSchema,
  PutManyRequestSchema,
  TouchRequestSchema,
} from "../../gen/anykv/v1/store_pb.js";
import type { Backend } from "../../src/backend/backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { createStore } from "../../src/client/index.js";
import { createErrorInterceptor } from "../../src/server/error-mapping.js";
import { modelNames } from "../../src/server/model-refresh.js";
import { openModels } from "../../src/server/models.js";
import { routes } from "../../src/server/routes.js";
import { Store } from "../../src/store/store.js";
import { UserSchema } from "../models/gen/acme/v1/user_pb.js";

/** A server's routes over `backend`, in process, with a client on them. */
async function serverOn(backend: Backend, now: () => number = Date.now) {
  const models = await openModels(backend, { now });
  const transport = createRouterTransport(routes({ store: new Store(backend), models }), {
    router: { interceptors: [createErrorInterceptor((err) => console.error(err))] },
  });
  return { models, client: createStore({ baseUrl: "http://in-process", transport }) };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok" as const,
    (err: unknown) => (err instanceof ConnectError ? err.code : err),
  );

describe("servers sharing a backend", () => {
  it("load models another server registered when a request names one they lack", async () => {
    const backend = createMemoryBackend();
    const a = await serverOn(backend);
    const b = await serverOn(backend);
    const changes: string[][] = [];
    b.models.onChange((registry) => changes.push(registry.list().map((m) => m.name)));

    await a.client.models.register(UserSchema);
    await a.client.models.registerJsonSchema("py.Person", { type: "object", required: ["name"] });
    const user = { id: "u", email: "u@example.com" };
    expect((await b.client.put("u", user, { model: "acme.v1.User" }))?.model).toBe("acme.v1.User");
    expect(await b.client.get("u", { model: "acme.v1.User" })).toMatchObject({
      $typeName: "google.protobuf.Any",
    });
    expect(await codeOf(b.client.put("p", {}, { model: "py.Person" }))).toBe(Code.InvalidArgument);
    expect(changes).toEqual([["acme.v1.User", "acme.v1.User.Address", "py.Person"]]);
  });

  it("answer GetModel for another server's models, and plan registrations and deletions on the stored ones", async () => {
    const backend = createMemoryBackend();
    const a = await serverOn(backend);
    const b = await serverOn(backend);
    await a.client.models.registerJsonSchema("py.Thing", { type: "object" });
    expect((await b.client.models.rpc.getModel({ name: "py.Thing" })).definition.case).toBe("jsonSchema");
    await a.client.models.registerJsonSchema("py.Gone", { type: "object" });
    expect(await b.client.models.delete("py.Gone")).toEqual(["py.Gone"]);
    await a.client.models.registerJsonSchema("py.Rival", { type: "object", title: "a" });
    expect(await codeOf(b.client.models.registerJsonSchema("py.Rival", { type: "object", title: "b" }))).toBe(
      Code.AlreadyExists,
    );
  });

  it("reload at most once per interval, so unknown names cannot make every request scan the store", async () => {
    const backend = createMemoryBackend();
    let clock = 0;
    const a = await serverOn(backend);
    const b = await serverOn(backend, () => clock);
    expect(await codeOf(b.client.put("k", {}, { model: "py.Nobody" }))).toBe(Code.NotFound); // reloads at 0
    await a.client.models.registerJsonSchema("py.Late", { type: "object" });
    clock = 999;
    expect(await codeOf(b.client.put("k", {}, { model: "py.Late" }))).toBe(Code.NotFound);
    expect(await codeOf(b.client.models.rpc.getModel({ name: "py.Late" }))).toBe(Code.NotFound);
    clock = 1000;
    expect(await codeOf(b.client.put("k", {}, { model: "py.Late" }))).toBe("ok");
  });

  it("see a model another server replaced or deleted within one interval (the catalog's version)", async () => {
    const backend = createMemoryBackend();
    let clock = 0;
    const a = await serverOn(backend);
    const b = await serverOn(backend, () => clock);
    await a.client.models.registerJsonSchema("py.Shape", { type: "object", required: ["x"] });
    expect(await codeOf(b.client.put("s", { x: 1 }, { model: "py.Shape" }))).toBe("ok");
    await a.client.models.registerJsonSchema(
      "py.Shape",
      { type: "object", required: ["y"] },
      { replace: true },
    );
    // b knows the name, so only the version tells it: read at most once per interval.
    clock = 500;
    expect(await codeOf(b.client.put("s", { x: 1 }, { model: "py.Shape" }))).toBe("ok");
    clock = 1000;
    expect(await codeOf(b.client.put("s", { x: 1 }, { model: "py.Shape" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(b.client.put("s", { y: 1 }, { model: "py.Shape" }))).toBe("ok");
    await a.client.models.delete("py.Shape");
    clock = 2000;
    expect((await b.client.models.rpc.listModels({})).models.map((m) => m.name)).toEqual([]);
    expect(await codeOf(b.client.put("s", { y: 1 }, { model: "py.Shape" }))).toBe(Code.NotFound);
  });

  it("share one reload between concurrent requests", async () => {
    const backend = createMemoryBackend();
    let scans = 0;
    const counted = new Proxy(backend, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== "scan" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          scans++;
          return value.apply(target, args);
        };
      },
    });
    const a = await serverOn(backend);
    const b = await serverOn(counted);
    await a.client.models.registerJsonSchema("py.Many", { type: "object" });
    const before = scans;
    const puts = Array.from({ length: 20 }, (_, i) => b.client.put(`m/${i}`, {}, { model: "py.Many" }));
    expect((await Promise.all(puts)).every((info) => info?.model === "py.Many")).toBe(true);
    expect(scans - before).toBe(1);
  });
});

describe("modelNames", () => {
  it('finds `model` fields ("" is the default model) and the types of Any values, nested in items', () => {
    const putMany = create(PutManyRequestSchema, {
      items: [
        { key: "a", model: "m.A" },
        { key: "b", value: { kind: { case: "message", value: anyPack(UserSchema, create(UserSchema)) } } },
      ],
    });
    expect([...modelNames(PutManyRequestSchema, putMany, "m.Default")].sort()).toEqual([
      "acme.v1.User",
      "m.A",
      "m.Default",
    ]);
    const batch = create(BatchRequestSchema, {
      ops: [{ op: { case: "put", value: { key: "c", model: "m.C" } } }],
    });
    expect([...modelNames(BatchRequestSchema, batch)]).toEqual(["m.C"]);
    expect([...modelNames(GetRequestSchema, create(GetRequestSchema, { key: "k" }), "m.D")]).toEqual(["m.D"]);
    const json = create(PutManyRequestSchema, {
      items: [
        {
          key: "j",
          model: "m.J",
          value: {
            kind: {
              case: "json",
              value: {
                kind: {
                  case: "structValue",
                  value: { fields: { model: { kind: { case: "stringValue", value: "not.a.Model" } } } },
                },
              },
            },
          },
        },
      ],
    });
    expect([...modelNames(PutManyRequestSchema, json)]).toEqual(["m.J"]); // a JSON value's keys are data, not fields
    // Touch stores a datetime: it has no model field, so the default model does not apply.
    expect([...modelNames(TouchRequestSchema, create(TouchRequestSchema, { key: "k" }), "m.D")]).toEqual([]);
  });
});
