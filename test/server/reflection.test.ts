import { type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { file_anykv_v1_store } from "../../gen/anykv/v1/store_pb.js";
import { file_grpc_health_v1_health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as V1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as V1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { fileRegistryOf } from "../../src/server/file-registry.js";
import { createReflection } from "../../src/server/reflection.js";

type Query = { case: "listServices" | "fileContainingSymbol" | "fileByFilename"; value: string };

/** Sends the queries on one reflection stream and collects the answers. */
async function ask(registry: () => FileRegistry, version: typeof V1 | typeof V1alpha, ...queries: Query[]) {
  const client = createClient(version, createRouterTransport(createReflection(registry)));
  async function* requests() {
    for (const messageRequest of queries) yield { host: "", messageRequest };
  }
  const answers = [];
  for await (const res of client.serverReflectionInfo(requests())) answers.push(res.messageResponse);
  return answers;
}

const fileNames = (answer: { case?: string | undefined; value?: unknown } | undefined) =>
  answer?.case === "fileDescriptorResponse"
    ? (answer.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto.map(
        (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
      )
    : [];

describe("server reflection from a FileRegistry", () => {
  const registry = fileRegistryOf(file_anykv_v1_store);

  it.each([
    ["v1", V1],
    ["v1alpha", V1alpha],
  ] as const)(
    "answers %s: a symbol's file with its imports, each sent once per stream",
    async (_, version) => {
      const [first, second, byName] = await ask(
        () => registry,
        version,
        { case: "fileContainingSymbol", value: "anykv.v1.Value" },
        { case: "fileContainingSymbol", value: "anykv.v1.StoreService.Put" },
        { case: "fileByFilename", value: "anykv/v1/value.proto" },
      );
      expect(fileNames(first).sort()).toEqual([
        "anykv/v1/value.proto",
        "google/protobuf/any.proto",
        "google/protobuf/duration.proto",
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
      ]);
      // Only store.proto's imports that value.proto's did not bring come the second time.
      expect(fileNames(second).sort()).toEqual([
        "anykv/v1/store.proto",
        "buf/validate/validate.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/field_mask.proto",
        "google/rpc/status.proto",
      ]);
      // A file asked for by name always comes, even when sent before.
      expect(fileNames(byName)).toEqual(["anykv/v1/value.proto"]);
    },
  );

  it("answers unknown symbols and files with NOT_FOUND", async () => {
    const answers = await ask(
      () => registry,
      V1,
      { case: "fileContainingSymbol", value: "anykv.v1.Nope" },
      { case: "fileByFilename", value: "nope.proto" },
    );
    for (const answer of answers) {
      expect(answer.case).toBe("errorResponse");
      expect(answer.value).toMatchObject({ errorCode: Code.NotFound });
    }
  });

  it("serves files that appear at run time: the registry function is asked on every request", async () => {
    let current = registry;
    const list = async () => {
      const [answer] = await ask(() => current, V1, { case: "listServices", value: "*" });
      return answer?.case === "listServicesResponse" ? answer.value.service.map((s) => s.name) : [];
    };
    expect(await list()).toEqual(["anykv.v1.StoreService"]);
    current = fileRegistryOf(file_anykv_v1_store, file_grpc_health_v1_health);
    expect(await list()).toEqual(["anykv.v1.StoreService", "grpc.health.v1.Health"]);
    const [health] = await ask(() => current, V1, {
      case: "fileContainingSymbol",
      value: "grpc.health.v1.Health",
    });
    expect(fileNames(health)).toEqual(["grpc/health/v1/health.proto"]);
  });
});
