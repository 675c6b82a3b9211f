import { clone, createRegistry, type DescFile, equals, fromBinary, isFieldSet } from "@bufbuild/protobuf";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";
import {
  type DescriptorProto,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_any,
  file_google_protobuf_api,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_source_context,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_type,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { AnykvError } from "../../errors.js";

/**
 * Files the server has built in: the well-known types and protovalidate's
 * rules. A descriptor set may carry them (buf build includes imports); the
 * server's own versions are used, so clients built against different
 * releases of them never conflict.
 */
export const builtinFiles: ReadonlyMap<string, DescFile> = new Map(
  [
    file_google_protobuf_any,
    file_google_protobuf_api,
    file_google_protobuf_descriptor,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_field_mask,
    file_google_protobuf_source_context,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_type,
    file_google_protobuf_wrappers,
    file_buf_validate_validate,
  ].map((file) => [file.proto.name, file]),
);

const JSON_NAME = FieldDescriptorProtoSchema.field.jsonName;

/** The files of a serialized FileDescriptorSet, without source info and built-in files. */
export function parseDescriptorSet(bytes: Uint8Array): FileDescriptorProto[] {
  if (bytes.length === 0) return [];
  let files: FileDescriptorProto[];
  try {
    files = fromBinary(FileDescriptorSetSchema, bytes).file;
  } catch (cause) {
    throw new AnykvError(
      "INVALID_ARGUMENT",
      "descriptor_set is not a serialized google.protobuf.FileDescriptorSet",
      {
        cause,
      },
    );
  }
  const out = new Map<string, FileDescriptorProto>();
  for (const file of files) {
    if (!file.name) throw new AnykvError("INVALID_ARGUMENT", "descriptor_set has a file without a name");
    if (builtinFiles.has(file.name)) continue;
    const normalized = normalizeFile(file);
    const twin = out.get(file.name);
    if (twin && !sameFile(twin, normalized))
      throw new AnykvError("INVALID_ARGUMENT", `descriptor_set has two different files named "${file.name}"`);
    out.set(file.name, normalized);
  }
  return [...out.values()];
}

/**
 * A file as the registry keeps and compares it: no source info (comments and
 * positions), and every field's json_name filled in (protoc-gen-es's embedded
 * descriptors leave default ones out), so that buf's, protoc's and the Node
 * client's descriptors of one file compare equal.
 */
export function normalizeFile(file: FileDescriptorProto): FileDescriptorProto {
  const copy = clone(FileDescriptorProtoSchema, file);
  copy.sourceCodeInfo = undefined;
  const walk = (message: DescriptorProto) => {
    for (const field of message.field) {
      if (!isFieldSet(field, JSON_NAME)) field.jsonName = protoCamelCase(field.name);
    }
    message.nestedType.forEach(walk);
  };
  copy.messageType.forEach(walk);
  return copy;
}

/**
 * Custom options (buf.validate rules among them) are extensions, which a parsed
 * FileDescriptorProto keeps as unknown fields: compare them byte for byte too, so
 * that a changed rule is a changed file.
 */
const WITH_OPTIONS = { registry: createRegistry(), unknown: true } as const;

export function sameFile(a: FileDescriptorProto, b: FileDescriptorProto): boolean {
  return equals(FileDescriptorProtoSchema, a, b, WITH_OPTIONS);
}

/** Full names of the message types a file defines, nested ones included, map entries not. */
export function messageNames(file: FileDescriptorProto): string[] {
  const names: string[] = [];
  const walk = (message: DescriptorProto, scope: string) => {
    if (message.options?.mapEntry) return;
    const name = `${scope}${message.name}`;
    names.push(name);
    for (const nested of message.nestedType) walk(nested, `${name}.`);
  };
  for (const message of file.messageType) walk(message, file.package ? `${file.package}.` : "");
  return names;
}
