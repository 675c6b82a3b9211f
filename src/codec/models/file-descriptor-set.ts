import { create, type DescFile } from "@bufbuild/protobuf";
import { type FileDescriptorSet, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/**
 * A FileDescriptorSet of `files` and every file they import, dependencies
 * first, each file once: what `buf build -o` writes, and what RegisterModels
 * and GetModel carry. Pure @bufbuild/protobuf, so that the Node client uses
 * it too without pulling in the validators.
 */
export function fileDescriptorSet(...files: readonly DescFile[]): FileDescriptorSet {
  const ordered: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (file: DescFile) => {
    if (seen.has(file.proto.name)) return;
    seen.add(file.proto.name);
    for (const dep of file.dependencies) visit(dep);
    ordered.push(file);
  };
  for (const file of files) visit(file);
  return create(FileDescriptorSetSchema, { file: ordered.map((f) => f.proto) });
}
