import { spawn } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

it("npm start serves on Node 24 with its flags and hands it SIGTERM, and the server stops (no orphaned node keeps serving)", async () => {
  // Without ANYKV_NODE, which would choose the server's Node instead of npm start.
  const { ANYKV_NODE: _, ...env } = process.env;
  const npm = spawn("npm", ["start", "--", "--port", "0", "--backend", "memory"], {
    cwd: ROOT,
    env: { ...env, npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  npm.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  npm.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const check = () => {
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      };
      npm.stdout.on("data", check);
      void exited.then((code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    expect(await listening(port)).toBe(true);
    // npm start serves on Node 24, the current LTS, whatever Node ran npm (scripts/server-node.sh).
    expect(Number(/"node":"v(\d+)\./.exec(out)?.[1]), out).toBeGreaterThanOrEqual(24);
    // …with the Node flags of scripts/server-node-flags (V8's memory reducer off).
    expect(JSON.parse(/"nodeFlags":(\[[^\]]*\])/.exec(out)?.[1] ?? "null"), out).toContain(
      "--no-memory-reducer",
    );
    npm.kill("SIGTERM"); // to npm's own pid, as a process manager or `kill` would
    await exited;
    expect(out).toContain("SIGTERM received");
    // The server process is gone too: nothing answers on its port.
    let open = true;
    for (let i = 0; i < 50 && open; i++) {
      open = await listening(port);
      if (open) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open, out).toBe(false);
  } finally {
    if (npm.exitCode === null) npm.kill("SIGKILL");
    // Should the server have been orphaned (the bug this test is about), stop it: its log lines
    // carry its pid.
    const pid = Number(/"pid":(\d+)/.exec(out)?.[1]);
    if (pid && pid !== npm.pid) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
}, 180_000);
