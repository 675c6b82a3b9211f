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
    expect(() => serveOptions(["--watch-retention=-1"], {})).toThrow(
      /--watch-retention \(command line\): must be 0 or more \(got -1\)/,
    );
  });
});

describe("code values", () => {
  it("are off unless --allow-code or ANYKV_ALLOW_CODE=true; --no-code (the old spelling) means off", () => {
    expect(serveOptions([], {})).toMatchObject({ allowCode: false });
    expect(serveOptions(["--allow-code"], {})).toMatchObject({ allowCode: true });
    expect(serveOptions([], { ANYKV_ALLOW_CODE: "true" })).toMatchObject({ allowCode: true });
    expect(serveOptions(["--no-code"], { ANYKV_ALLOW_CODE: "true" })).toMatchObject({ allowCode: false });
    expect(serveOptions(["--no-allow-code"], { ANYKV_ALLOW_CODE: "1" })).toMatchObject({ allowCode: false });
    expect(serveOptions([], { ANYKV_ALLOW_CODE: "false" })).toMatchObject({ allowCode: false });
    expect(() => serveOptions([], { ANYKV_ALLOW_CODE: "maybe" })).toThrow(
      /ANYKV_ALLOW_CODE \(environment, for --allow-code\): "maybe" is not a boolean/,
    );
  });
});

describe("allowed hosts", () => {
  it("reads --allowed-hosts (comma-separated, repeatable) over ANYKV_ALLOWED_HOSTS; off by default", () => {
    expect(serveOptions([], {})).toMatchObject({ allowedHosts: [] });
    const env = { ANYKV_ALLOWED_HOSTS: "localhost, 127.0.0.1:50051" };
    expect(serveOptions([], env)).toMatchObject({ allowedHosts: ["localhost", "127.0.0.1:50051"] });
    expect(
      serveOptions(["--allowed-hosts", "a.test,[::1]", "--allowed-hosts", ".b.test"], env),
    ).toMatchObject({
      allowedHosts: ["a.test", "[::1]", ".b.test"],
    });
    expect(() => serveOptions(["--allowed-hosts", "http://a.test/"], {})).toThrow(/without scheme or path/);
  });
});

describe("durability setting", () => {
  it("syncs every commit by default, reads --sync over ANYKV_SYNC, and refuses other values", () => {
    expect(serveOptions([], {})).toMatchObject({ sync: "always" });
    expect(serveOptions([], { ANYKV_SYNC: "none" })).toMatchObject({ sync: "none" });
    expect(serveOptions(["--sync", "always"], { ANYKV_SYNC: "none" })).toMatchObject({ sync: "always" });
    expect(() => serveOptions(["--sync", "sometimes"], {})).toThrow(
      /--sync \(command line\): "sometimes" is not always or none/,
    );
  });
});

describe("decode limits", () => {
  it("reads --max-decode-expansion, --max-decode-nodes and --max-int-digits over the environment", () => {
    expect(serveOptions([], {})).toMatchObject({
      maxDecodeExpansion: 64,
      maxDecodeNodes: 2_000_000,
      maxIntDigits: 4300,
    });
    const env = {
      ANYKV_MAX_DECODE_EXPANSION: "300",
      ANYKV_MAX_DECODE_NODES: "10",
      ANYKV_MAX_INT_DIGITS: "100000",
    };
    expect(serveOptions([], env)).toMatchObject({
      maxDecodeExpansion: 300,
      maxDecodeNodes: 10,
      maxIntDigits: 100_000,
    });
    expect(serveOptions(["--max-int-digits", "50"], env)).toMatchObject({ maxIntDigits: 50 });
    expect(() => serveOptions(["--max-decode-nodes", "0"], {})).toThrow(
      /--max-decode-nodes \(command line\): must be at least 1 \(got 0\)/,
    );
  });
});

describe("decode pool settings", () => {
  it("reads --decode-threads, --decode-inline-bytes, --max-decode-ms and --max-decode-queue", () => {
    expect(serveOptions([], {})).toMatchObject({
      decodeInlineBytes: 16_384,
      maxDecodeMs: 2000,
      maxDecodeQueue: 1024,
    });
    const env = { ANYKV_DECODE_THREADS: "0", ANYKV_MAX_DECODE_MS: "500" };
    expect(serveOptions([], env)).toMatchObject({ decodeThreads: 0, maxDecodeMs: 500 });
    const flags = ["--decode-threads", "3", "--decode-inline-bytes", "0", "--max-decode-queue", "8"];
    expect(serveOptions(flags, env)).toMatchObject({
      decodeThreads: 3,
      decodeInlineBytes: 0,
      maxDecodeQueue: 8,
    });
    expect(() => serveOptions([], { ANYKV_DECODE_THREADS: "-1" })).toThrow(
      /ANYKV_DECODE_THREADS \(environment, for --decode-threads\): must be from 0 to 64/,
    );
    expect(() => serveOptions(["--max-decode-ms", "0"], {})).toThrow(
      /--max-decode-ms \(command line\): must be at least 1ms/,
    );
  });
});

describe("connection and stream limits", () => {
  it("reads the limits and timeouts from flags over the environment, with defaults", () => {
    expect(serveOptions([], {})).toMatchObject({
      maxConcurrentStreams: 250,
      maxListingStreams: 1000,
      maxWatchStreams: 10_000,
      headersTimeoutMs: 30_000,
      requestTimeoutMs: 300_000,
      idleTimeoutMs: 120_000,
      keepaliveIntervalMs: 60_000,
      keepaliveTimeoutMs: 20_000,
    });
    const env = {
      ANYKV_MAX_CONCURRENT_STREAMS: "50",
      ANYKV_MAX_LISTING_STREAMS: "20",
      ANYKV_MAX_WATCH_STREAMS: "30",
      ANYKV_HEADERS_TIMEOUT: "5s",
      ANYKV_REQUEST_TIMEOUT: "1m",
      ANYKV_IDLE_TIMEOUT: "0",
      ANYKV_KEEPALIVE_INTERVAL: "2h",
      ANYKV_KEEPALIVE_TIMEOUT: "500ms",
    };
    expect(serveOptions([], env)).toMatchObject({
      maxConcurrentStreams: 50,
      maxListingStreams: 20,
      maxWatchStreams: 30,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 0,
      keepaliveIntervalMs: 7_200_000,
      keepaliveTimeoutMs: 500,
    });
    const flags = ["--max-concurrent-streams", "7", "--max-watch-streams", "8", "--idle-timeout", "30s"];
    expect(serveOptions(flags, env)).toMatchObject({
      maxConcurrentStreams: 7,
      maxWatchStreams: 8,
      idleTimeoutMs: 30_000,
    });
  });

  it("refuses limits that cannot work, saying which", () => {
    expect(() => serveOptions(["--max-concurrent-streams", "0"], {})).toThrow(
      /--max-concurrent-streams \(command line\)/,
    );
    expect(() => serveOptions(["--max-listing-streams", "x"], {})).toThrow(
      /--max-listing-streams \(command line\): "x" is not a whole number/,
    );
    expect(() => serveOptions(["--headers-timeout", "2m", "--request-timeout", "1m"], {})).toThrow(
      /headers timeout must not be longer than the request timeout/,
    );
  });
});
