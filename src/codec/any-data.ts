import { create } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { AnykvError } from "../errors.js";
import { type Data, data } from "./data.js";

/**
 * A `message` value (a google.protobuf.Any) inside the value pipeline, which
 * carries data trees: `{"@type": type URL, "value": bytes}`. Only the model
 * pipeline looks inside; it never reaches a codec.
 */
export function anyToData(any: Any): Data {
  return data.dict([
    [data.str("@type"), data.str(any.typeUrl)],
    [data.str("value"), data.bytes(any.value)],
  ]);
}

export function anyFromData(value: Data): Any {
  if (value.type === "dict") {
    const typeUrl = value.entries.find(([k]) => k.type === "str" && k.value === "@type")?.[1];
    const bytes = value.entries.find(([k]) => k.type === "str" && k.value === "value")?.[1];
    if (typeUrl?.type === "str" && bytes?.type === "bytes") {
      return create(AnySchema, { typeUrl: typeUrl.value, value: bytes.value });
    }
  }
  throw new AnykvError("INVALID_VALUE", "a message value must be a google.protobuf.Any");
}
