import { describe, expect, it } from "vitest";
import { serveOptions } from "../../src/cli/serve-command.js";

describe("CORS and anystore API settings", () => {
  it("reads --cors-origin (repeatable) over ANYKV_CORS_ORIGINS, and --anystore-prefix", () => {
    const env = {
      ANYKV_CORS_ORIGINS: "https://a.example, http://localhost:5173",
      ANYKV_ANYSTORE_PREFIX: "/kv",
    };
    expect(serveOptions([], env)).toMatchObject({
      corsOrigins: ["https://a.example", "http://localhost:5173"],
      anystorePrefix: "/kv",
    });
    const flags = ["--cors-origin", "https://b.example", "--cors-origin", "*", "--anystore-prefix", ""];
    expect(serveOptions(flags, env)).toMatchObject({
      corsOrigins: ["https://b.example", "*"],
      anystorePrefix: "",
    });
    expect(serveOptions([], {})).toMatchObject({ corsOrigins: [], anystorePrefix: "/anystore" });
  });

  it("refuses origins with paths and prefixes that are not paths, saying what to give", () => {
    expect(() => serveOptions(["--cors-origin", "https://a.example/app"], {})).toThrow(
      /scheme:\/\/host\[:port\]/,
    );
    expect(() => serveOptions(["--anystore-prefix", "anystore/"], {})).toThrow(
      /must be a path like \/anystore/,
    );
  });
});

describe("watch retention settings", () => {
  it("reads --watch-retention and --watch-retention-age over the environment, with defaults", () => {
    expect(serveOptions([], {})).toMatchObject({ watchRetention: 10_000, watchRetentionMs: 3_600_000 });
    const env = { ANYKV_WATCH_RETENTION: "500", ANYKV_WATCH_RETENTION_AGE: "5m" };
    expect(serveOptions([], env)).toMatchObject({ watchRetention: 500, watchRetentionMs: 300_000 });
    expect(serveOptions(["--watch-retention", "7", "--watch-retention-age", "30s"], env)).toMatchObject({
      watchRetention: 7,
      watchRetentionMs: 30_000,
    });
    expect(() => serveOptions(["--watch-retention=-1"], {})).toThrow(/watch retention/);
  });
});
