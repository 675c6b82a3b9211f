import { describe, expect, it } from "vitest";
import { openBackend, parseBackendSpec, redactUrl } from "../../src/backend/open-backend.js";
import { isAnykvError } from "../../src/errors.js";
import { runCli } from "../support/cli-process.js";
import { tempDir } from "../support/temp-dir.js";

describe("--backend URL", () => {
  it("parses every form the issue names", () => {
    expect(parseBackendSpec("leveldb:/var/lib/anykv")).toEqual({ kind: "leveldb", path: "/var/lib/anykv" });
    expect(parseBackendSpec("leveldb", "./d")).toEqual({ kind: "leveldb", path: "./d" });
    expect(parseBackendSpec("leveldb:", "./d")).toEqual({ kind: "leveldb", path: "./d" });
    expect(parseBackendSpec("memory:")).toEqual({ kind: "memory" });
    expect(parseBackendSpec("memory")).toEqual({ kind: "memory" });
    for (const url of ["redis://localhost:6379/0", "rediss://u:p@cache.example.com", "REDIS://h"])
      expect(parseBackendSpec(url)).toEqual({ kind: "redis", url });
    for (const url of ["postgres://u:p@db/anykv", "postgresql://db:5433/anykv?sslmode=require"])
      expect(parseBackendSpec(url)).toEqual({ kind: "postgres", url });
  });

  it("refuses anything else, naming it without its password", () => {
    const err = (() => {
      try {
        parseBackendSpec("mysql://root:hunter2@db/anykv");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isAnykvError(err, "INVALID_ARGUMENT")).toBe(true);
    expect((err as Error).message).toContain('unknown backend "mysql://root:***@db/anykv"');
    expect((err as Error).message).not.toContain("hunter2");
    expect(() => parseBackendSpec("rocksdb:/x")).toThrow(
      /unknown backend "rocksdb:\/x": use leveldb:PATH, memory:/,
    );
  });

  it("redacts passwords in URLs, in the userinfo and in query parameters", () => {
    expect(redactUrl("postgres://anykv:s3cret@db:5432/anykv")).toBe("postgres://anykv:***@db:5432/anykv");
    expect(redactUrl("redis://:s3cret@cache:6379/0")).toBe("redis://:***@cache:6379/0");
    expect(redactUrl("rediss://s3cret@cache")).toBe("rediss://***@cache");
    expect(redactUrl("postgres://db/anykv?user=a&password=s3cret&x=1")).toBe(
      "postgres://db/anykv?user=a&password=***&x=1",
    );
    expect(redactUrl("postgres://db/anykv")).toBe("postgres://db/anykv");
  });

  it("opens memory and LevelDB, and names each without secrets", async () => {
    const memory = await openBackend("memory:");
    expect(memory.description).toBe("memory (not persistent)");
    expect(memory.backend.capabilities.persistent).toBe(false);
    await memory.backend.close();
    const path = `${tempDir()}/data`;
    const level = await openBackend(`leveldb:${path}`);
    expect(level.description).toBe(`LevelDB in ${path}`);
    expect(level.backend.capabilities.persistent).toBe(true);
    await level.backend.close();
  });

  it("fails a shared backend that cannot be opened with UNAVAILABLE, naming the URL without its password", async () => {
    // Nothing listens on port 1: whether the engine's module is built in or not, the answer is
    // UNAVAILABLE and never shows the password.
    for (const url of ["redis://anykv:s3cret@127.0.0.1:1/0", "postgres://anykv:s3cret@127.0.0.1:1/anykv"]) {
      const err = await openBackend(url).then(
        (opened) => opened.backend.close().then(() => new Error(`${url} opened`)),
        (e: unknown) => e,
      );
      expect(isAnykvError(err, "UNAVAILABLE"), String(err)).toBe(true);
      expect((err as Error).message).toContain(url.replace(":s3cret@", ":***@"));
      expect((err as Error).message).not.toContain("s3cret");
    }
  });

  it("makes the server say so at start, without the password, and exit 1", async () => {
    const run = await runCli([
      "serve",
      "--port",
      "0",
      "--backend",
      "postgres://anykv:s3cret@127.0.0.1:1/anykv",
    ]);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("postgres://anykv:***@127.0.0.1:1/anykv");
    expect(run.output).not.toContain("s3cret");
  });
});
