import type { DescFile, FileRegistry } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";

/** A reflection request, the same in grpc.reflection.v1 and v1alpha. */
export type ReflectionQuery =
  | { readonly case: "fileByFilename"; readonly value: string }
  | { readonly case: "fileContainingSymbol"; readonly value: string }
  | {
      readonly case: "fileContainingExtension";
      readonly value: { readonly containingType: string; readonly extensionNumber: number };
    }
  | { readonly case: "allExtensionNumbersOfType"; readonly value: string }
  | { readonly case: "listServices"; readonly value: string }
  | { readonly case: undefined; readonly value?: undefined };

/** A reflection answer, the same in both versions (the init shape of `message_response`). */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/**
 * Answers one reflection request from a registry. `sent` holds the names of
 * the files this stream has already sent: like grpc-go, a file answer carries
 * the file and those of its transitive imports the client has not seen yet.
 */
export function answerReflection(
  registry: FileRegistry,
  query: ReflectionQuery,
  sent: Set<string>,
): ReflectionAnswer {
  switch (query.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: serviceNames(registry).map((name) => ({ name })) },
      };
    case "fileByFilename": {
      const file = registry.getFile(query.value);
      return file ? files(file, sent) : notFound(`file "${query.value}" is not known to this server`);
    }
    case "fileContainingSymbol": {
      const file = fileOfSymbol(registry, query.value);
      return file ? files(file, sent) : notFound(`symbol "${query.value}" is not known to this server`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = query.value;
      const message = registry.getMessage(containingType);
      const extension = message && registry.getExtensionFor(message, extensionNumber);
      return extension
        ? files(extension.file, sent)
        : notFound(`no extension ${extensionNumber} of "${containingType}" is known to this server`);
    }
    case "allExtensionNumbersOfType": {
      if (!registry.getMessage(query.value))
        return notFound(`type "${query.value}" is not known to this server`);
      const numbers: number[] = [];
      for (const type of registry) {
        if (type.kind === "extension" && type.extendee.typeName === query.value) numbers.push(type.number);
      }
      return {
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: query.value, extensionNumber: numbers },
      };
    }
    default:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "the reflection request names no question" },
      };
  }
}

/** Full names of every service in the registry, sorted. */
export function serviceNames(registry: FileRegistry): string[] {
  const names: string[] = [];
  for (const type of registry) if (type.kind === "service") names.push(type.typeName);
  return names.sort();
}

/** The file that declares a type, service, method, field, enum value or extension. */
function fileOfSymbol(registry: FileRegistry, symbol: string): DescFile | undefined {
  const type = registry.get(symbol);
  if (type) return type.file;
  // A member: "pkg.Service.Method", "pkg.Message.field" or "pkg.Enum.VALUE".
  const dot = symbol.lastIndexOf(".");
  if (dot < 0) return undefined;
  const parent = registry.get(symbol.slice(0, dot));
  const member = symbol.slice(dot + 1);
  switch (parent?.kind) {
    case "service":
      return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
    case "message":
      return parent.fields.some((f) => f.name === member) || parent.oneofs.some((o) => o.name === member)
        ? parent.file
        : undefined;
    case "enum":
      return parent.values.some((v) => v.name === member) ? parent.file : undefined;
    default:
      return undefined;
  }
}

/** The file and its not yet sent transitive imports, serialized. */
function files(file: DescFile, sent: Set<string>): ReflectionAnswer {
  const out: Uint8Array[] = [];
  const here = new Set<string>();
  const visit = (f: DescFile, requested: boolean) => {
    if (here.has(f.name) || (!requested && sent.has(f.name))) return;
    here.add(f.name);
    sent.add(f.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    for (const dep of f.dependencies) visit(dep, false);
  };
  visit(file, true);
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
}

function notFound(message: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } };
}
