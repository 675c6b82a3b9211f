import { readFileSync } from "node:fs";
import { clone, type DescFile, fromBinary } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import { builtinFiles, normalizeFile, sameFile } from "../../src/codec/models/index.js";
import { tempDir } from "../support/temp-dir.js";
import { run } from "../support/tools.js";
import { buildTestModels } from "./build.js";
import { file_acme_v1_team } from "./gen/acme/v1/team_pb.js";
import { file_acme_v1_user } from "./gen/acme/v1/user_pb.js";

/** Without source info and json_names, which protoc-gen-es's embedded descriptors drop. */
function bare(file: FileDescriptorProto): FileDescriptorProto {
  const copy = clone(FileDescriptorProtoSchema, file);
  copy.sourceCodeInfo = undefined;
  const walk = (m: DescriptorProto) => {
    for (const f of m.field) f.jsonName = "";
    for (const e of m.extension) e.jsonName = "";
    m.nestedType.forEach(walk);
  };
  copy.messageType.forEach(walk);
  for (const e of copy.extension) e.jsonName = "";
  return copy;
}

const generated: readonly DescFile[] = [file_acme_v1_team, file_acme_v1_user];

let setPath: string;
let files: FileDescriptorProto[];
beforeAll(() => {
  setPath = buildTestModels(tempDir());
  files = fromBinary(FileDescriptorSetSchema, readFileSync(setPath)).file;
});

describe("the test models (scripts/gen-test-models.sh)", () => {
  it("compile against the buf/validate descriptor @bufbuild/protovalidate embeds", () => {
    const validate = files.find((f) => f.name === "buf/validate/validate.proto");
    const embedded = builtinFiles.get("buf/validate/validate.proto");
    expect(validate && embedded).toBeTruthy();
    expect(sameFile(bare(validate!), bare(embedded!.proto))).toBe(true);
  });

  it("build to the very files test/models/gen embeds, so --models and the Node client agree", () => {
    const built = files.filter((f) => !builtinFiles.has(f.name)).map(normalizeFile);
    expect(built.map((f) => f.name).sort()).toEqual(generated.map((f) => f.proto.name).sort());
    for (const file of generated) {
      const twin = built.find((f) => f.name === file.proto.name);
      expect(twin && sameFile(twin, normalizeFile(file.proto)), file.proto.name).toBe(true);
    }
  });

  it("pass buf lint (STANDARD)", async () => {
    const lint = await run("npx", ["buf", "lint", setPath, "--path", "acme"]);
    expect(lint.stdout + lint.stderr).toBe("");
    expect(lint.code).toBe(0);
  });
});
