/** "HOST:PORT" ("[v6]:PORT" for IPv6) as host and port; undefined when it is not one. */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}
