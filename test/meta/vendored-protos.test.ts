import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../../gen/google/rpc/status_pb.js";
import { run } from "../support/tools.js";

/**
 * proto/ holds copies of files anykv imports but does not own (buf cannot reach the Buf Schema
 * Registry from here): buf/validate/validate.proto must be the very file whose descriptor
 * @bufbuild/protovalidate embeds and validates with, or the constraints anykv declares could
 * mean something else to the server than to buf and to other languages' stubs.
 */
let dir: string;
let built: FileDescriptorProto[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "anykv-vendored-"));
  const out = join(dir, "image.binpb");
  // protoc (grpcio-tools), as for the test models: buf writes descriptors a little differently.
  const files = ["buf/validate/validate.proto", "google/rpc/status.proto", "google/rpc/error_details.proto"];
  const result = await run("python3", [
    "-m",
    "grpc_tools.protoc",
    "-I",
    "proto",
    `--descriptor_set_out=${out}`,
    ...files,
  ]);
  expect(result.code).toBe(0);
  built = fromBinary(FileDescriptorSetSchema, await readFile(out)).file;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A file's descriptor without what differs between compilers (json names) as bytes. */
function normalized(file: FileDescriptorProto): Uint8Array {
  const copy = clone(FileDescriptorProtoSchema, file);
  copy.sourceCodeInfo = undefined;
  const strip = (message: DescriptorProto) => {
    for (const field of message.field) field.jsonName = "";
    message.nestedType.forEach(strip);
  };
  copy.messageType.forEach(strip);
  for (const ext of copy.extension) ext.jsonName = "";
  return toBinary(FileDescriptorProtoSchema, copy);
}

describe("vendored .proto files", () => {
  it.each([
    ["buf/validate/validate.proto", file_buf_validate_validate.proto],
    ["google/rpc/status.proto", file_google_rpc_status.proto],
    ["google/rpc/error_details.proto", file_google_rpc_error_details.proto],
  ])("%s compiles to the descriptor the server uses", (name, embedded) => {
    const file = built.find((f) => f.name === name);
    expect(file).toBeDefined();
    expect(Buffer.from(normalized(file!)).equals(Buffer.from(normalized(embedded)))).toBe(true);
  });
});
