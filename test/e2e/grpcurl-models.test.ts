import { create } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { Role, UserSchema } from "../models/gen/acme/v1/user_pb.js";
import { startTestServer } from "../support/server.js";
import { run } from "../support/tools.js";

// Models registered at run time are served by reflection too: grpcurl describes them and
// prints a Get with a model as a typed message, with no proto files.
let server: RunningServer;
let addr: string;
beforeAll(async () => {
  server = await startTestServer();
  addr = `127.0.0.1:${server.port}`;
});

const grpcurl = async (...args: string[]) => {
  const result = await run("grpcurl", ["-plaintext", ...args]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
};

describe("grpcurl and registered models", () => {
  it("does not know a model before it is registered", async () => {
    const result = await run("grpcurl", ["-plaintext", addr, "describe", "acme.v1.User"]);
    expect(result.code).not.toBe(0);
  });

  it("describes a model registered by a client and prints a Get with the model as a typed message", async () => {
    const store = createStore({ baseUrl: server.url });
    const user = create(UserSchema, {
      id: "u-9",
      email: "bob@example.com",
      age: 41,
      role: Role.ADMIN,
      address: { street: "2 Side St", city: "Ogdenville", zip: "67890" },
      contact: { case: "slack", value: "@bob" },
    });
    await store.put("users/bob", user, { model: UserSchema });

    const described = await grpcurl(addr, "describe", "acme.v1.User");
    expect(described).toContain("acme.v1.User is a message:");
    expect(described).toContain("string email");

    const got = JSON.parse(
      await grpcurl("-d", '{"key":"users/bob","model":"acme.v1.User"}', addr, "anykv.v1.StoreService/Get"),
    );
    expect(got.value.message).toMatchObject({
      "@type": "type.googleapis.com/acme.v1.User",
      id: "u-9",
      email: "bob@example.com",
      age: 41,
      role: "ROLE_ADMIN",
      address: { city: "Ogdenville", zip: "67890" },
      slack: "@bob",
    });
  });
});
