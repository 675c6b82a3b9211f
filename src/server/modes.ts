import { Mode } from "../../gen/anykv/v1/value_pb.js";
import type { ModeName } from "../codec/typed-value.js";
import { AnykvError } from "../errors.js";

/** The wire enum as a mode name; MODE_UNSPECIFIED becomes the server's default. */
export function modeName(mode: Mode, fallback: ModeName): ModeName {
  switch (mode) {
    case Mode.UNSPECIFIED:
      return fallback;
    case Mode.AUTO:
      return "auto";
    case Mode.RAW:
      return "raw";
    case Mode.JSON:
      return "json";
    case Mode.PICKLE:
      return "pickle";
    default:
      throw new AnykvError("INVALID_ARGUMENT", `unknown mode ${mode}`);
  }
}
