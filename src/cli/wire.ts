import type { MessageInitShape } from "@bufbuild/protobuf";
import { createFileRegistry, fromBinary, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import {
  ChecksumAlgorithm,
  type ListValuesRequestSchema,
  type ListValuesResponse,
} from "../../gen/anykv/v1/store_pb.js";
import { Mode, type Value } from "../../gen/anykv/v1/value_pb.js";
import type { AnykvStore, ModeName } from "../client/index.js";

const MODE_ENUM: Record<ModeName, Mode> = {
  auto: Mode.AUTO,
  raw: Mode.RAW,
  json: Mode.JSON,
  pickle: Mode.PICKLE,
};

/** A --mode as the API's enum; unset is the server's default. */
export function modeOf(name: ModeName | undefined): Mode {
  return name === undefined ? Mode.UNSPECIFIED : MODE_ENUM[name];
}

/** The checksum algorithms by the names `checksum --algorithm` takes: sha256, sha3-256, md5, … */
export const CHECKSUM_ALGORITHMS: readonly string[] = Object.keys(ChecksumAlgorithm)
  .filter((name) => Number.isNaN(Number(name)) && name !== "UNSPECIFIED")
  .map((name) => name.toLowerCase().replace("_", "-"));

/**
 * The types to print a protobuf model's message as JSON: the model's descriptor set, from the
 * server (GetModel); undefined for every other kind of value.
 */
export async function messageRegistry(
  store: AnykvStore,
  value: Value | undefined,
): Promise<Registry | undefined> {
  if (value?.kind.case !== "message") return undefined;
  const typeUrl = value.kind.value.typeUrl;
  const res = await store.models.rpc.getModel({ name: typeUrl.slice(typeUrl.lastIndexOf("/") + 1) });
  if (res.definition.case !== "descriptorSet") return undefined;
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, res.definition.value));
}

/**
 * The keys of a ListValues listing one by one, asked for in batches (one message per key costs
 * more than a small value).
 */
export async function* listedValues(
  store: AnykvStore,
  request: MessageInitShape<typeof ListValuesRequestSchema>,
): AsyncGenerator<ListValuesResponse> {
  for await (const res of store.rpc.listValues({ ...request, batchSize: 1000n }))
    yield* res.items.length > 0 ? res.items : [res];
}
