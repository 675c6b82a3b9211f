import net from "node:net";

/** The options protected mode looks at; authFile is the --auth-file option, when the table has it. */
interface Exposure {
  readonly host: string;
  readonly insecure: boolean;
  readonly authFile?: string | undefined;
}

/**
 * Protected mode (as Redis's): a server that listens beyond loopback without authentication
 * refuses to start, saying which flag to add. Returns that message, or undefined when the server
 * may start. `authAvailable` says whether this build has --auth-file.
 */
export function protectedModeProblem(o: Exposure, authAvailable: boolean): string | undefined {
  if (o.insecure || isLoopback(o.host) || (o.authFile ?? "") !== "") return undefined;
  const fix = authAvailable
    ? "add --auth-file FILE to require tokens, or --insecure to serve it anyway"
    : "add --insecure to serve it anyway";
  return (
    `protected mode: --host ${o.host || '""'} listens beyond this machine without authentication, so anyone ` +
    `who can reach the port could read, write and delete every key; ${fix} (or listen on 127.0.0.1)`
  );
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and "localhost". */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === "localhost") return true;
  if (net.isIPv4(bare)) return bare.startsWith("127.");
  if (net.isIPv6(bare)) {
    const lower = bare.toLowerCase();
    return lower === "::1" || /^(0{0,4}:){7}0{0,3}1$/.test(lower) || /^::ffff:127\./.test(lower);
  }
  return false;
}
