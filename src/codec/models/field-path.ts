/**
 * Field paths in violations, one format for every kind of model — the one
 * protovalidate writes: `address.zip`, `tags[0]`, `scores["chess"]`. The
 * empty path is the value itself.
 */
export function fieldPath(parent: string, name: string): string {
  return parent === "" ? name : `${parent}.${name}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(key)}]`;
}

/** A JSON Pointer (RFC 6901, as ajv reports instance paths) → a field path. */
export function pointerToPath(pointer: string): string {
  if (pointer === "") return "";
  let path = "";
  for (const raw of pointer.slice(1).split("/")) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (/^(0|[1-9]\d*)$/.test(segment)) path = indexPath(path, Number(segment));
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) path = fieldPath(path, segment);
    else path = keyPath(path, segment);
  }
  return path;
}
