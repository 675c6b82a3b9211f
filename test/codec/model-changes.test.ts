import { clone, create, setExtension } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { FieldRulesSchema, field } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { describe, expect, it } from "vitest";
import { buildModelRegistry, normalizeFile, planRegistration } from "../../src/codec/models/index.js";
import { isAnykvError } from "../../src/errors.js";
import { file_acme_v1_user } from "../models/gen/acme/v1/user_pb.js";

const user = normalizeFile(file_acme_v1_user.proto);
const registry = buildModelRegistry({ files: new Map([[user.name, user]]), schemas: new Map() });

/** acme/v1/user.proto with `tags` allowing six items instead of five: only a buf.validate rule differs. */
function withChangedRule() {
  const changed = clone(FileDescriptorProtoSchema, user);
  const tags = changed.messageType[0]?.field.find((f) => f.name === "tags");
  if (!tags?.options) throw new Error("acme.v1.User.tags has no options");
  const rules = create(FieldRulesSchema, { type: { case: "repeated", value: { maxItems: 6n } } });
  setExtension(tags.options, field, rules);
  return changed;
}

describe("planRegistration", () => {
  it("changes nothing for the same file", () => {
    const change = planRegistration(registry, { files: [normalizeFile(user)], schemas: [], replace: false });
    expect(change.putFiles).toEqual([]);
  });

  it("sees a changed buf.validate rule as a changed file: MODEL_EXISTS, or replaced with replace", () => {
    const changed = withChangedRule();
    let thrown: unknown;
    try {
      planRegistration(registry, { files: [changed], schemas: [], replace: false });
    } catch (err) {
      thrown = err;
    }
    expect(isAnykvError(thrown, "MODEL_EXISTS")).toBe(true);
    const change = planRegistration(registry, { files: [changed], schemas: [], replace: true });
    expect(change.putFiles.map((f) => f.name)).toEqual([user.name]);
  });
});
