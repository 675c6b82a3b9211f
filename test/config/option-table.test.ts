import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createServeCommand, serveOptions } from "../../src/cli/serve-command.js";
import type { OptionSpec } from "../../src/config/option.js";
import { loadServerOptions } from "../../src/config/option-sources.js";
import { defaultServerOptions, serverOptionSpecs } from "../../src/config/option-table.js";
import { optionsMarkdown } from "../../src/config/options-markdown.js";
import { resolveServerOptions } from "../../src/config/resolve-server-options.js";
import { tempDir } from "../support/temp-dir.js";

const dir = tempDir("anykv-config-");
let files = 0;
function configFile(content: string, ext = "yaml"): string {
  const path = join(dir, `config-${files++}.${ext}`);
  writeFileSync(path, content);
  return path;
}

/**
 * A value unlike the default for every option, written as text: generic per kind, so that a new
 * option is covered without touching this test; only text options with their own checks need one.
 */
const SPECIAL: Record<string, string> = {
  host: "localhost",
  corsOrigins: "https://a.example",
  anystorePrefix: "/kv",
  metricsListen: "127.0.0.1:9464",
  backend: "memory:",
};
/** Options that need another to be valid (TLS takes a certificate and its key): given as flags. */
const COMPANIONS: Record<string, string[]> = {
  tlsCert: ["--tls-key", "key.pem"],
  tlsKey: ["--tls-cert", "cert.pem"],
  tlsClientCa: ["--tls-cert", "cert.pem", "--tls-key", "key.pem"],
};
function sampleText(key: string, spec: OptionSpec<unknown>): string {
  const special = SPECIAL[key];
  if (special !== undefined) return special;
  const { kind } = spec;
  const d = spec.default;
  if (kind.choices) return kind.choices.find((c) => c !== d)!;
  if (typeof d === "boolean") return String(!d);
  if (typeof d === "number") {
    const ok = (n: number) => kind.check(n) === undefined && spec.check(n) === undefined;
    const n = [d + 1, d - 1, d + 1000, d - 1000, d * 2].find((c) => c !== d && ok(c))!;
    // Durations are written in milliseconds, which every duration option reads.
    return kind.arg === "DUR" ? `${n}ms` : String(n);
  }
  if (Array.isArray(d)) return "sample-item";
  return `${String(d)}-sample`;
}

describe("every option is reachable from a flag, the environment and a config file", () => {
  for (const [key, spec] of serverOptionSpecs) {
    it(`${key} (--${spec.flag}, ${spec.env})`, () => {
      const text = sampleText(key, spec);
      const expected = spec.kind.parse(text);
      expect(expected).not.toEqual(spec.default);
      const argv =
        spec.kind.arg === undefined
          ? [expected ? `--${spec.flag}` : `--no-${spec.flag}`]
          : [`--${spec.flag}`, text];
      const with_ = COMPANIONS[key] ?? [];
      expect(serveOptions([...argv, ...with_], {})[key]).toEqual(expected);
      expect(serveOptions(with_, { [spec.env]: text })[key]).toEqual(expected);
      const fileValue = typeof spec.default === "boolean" ? expected : text;
      const file = configFile(stringify({ [spec.flag]: fileValue }));
      expect(serveOptions(["--config", file, ...with_], {})[key]).toEqual(expected);
      expect(defaultServerOptions[key]).toEqual(spec.default);
    });
  }

  it("lists every option, its environment variable and its default in serve --help", () => {
    const help = createServeCommand().helpInformation().replace(/\s+/g, " ");
    for (const [, spec] of serverOptionSpecs) {
      expect(help).toMatch(new RegExp(`--(no-)?${spec.flag}\\b`));
      expect(help).toContain(spec.env);
    }
    expect(help).toContain("--config <FILE>");
    expect(help).toMatch(/--port <N> port \(0 picks a free one\) \[env ANYKV_PORT; default 50051\]/);
    expect(help).toMatch(/--shutdown-timeout <DUR>[^[]+\[env ANYKV_SHUTDOWN_TIMEOUT; default 10s\]/);
  });

  it("is the table docs/operations.md shows", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../docs/operations.md"), "utf8");
    // On a difference: paste optionsMarkdown() (src/config/options-markdown.ts) into the doc.
    expect(doc).toContain(optionsMarkdown());
  });
});

describe("precedence: flags, then environment, then config file, then defaults", () => {
  it("takes each option from the first source that has it", () => {
    const file = configFile("port: 1111\nmax-depth: 11\ndefault-ttl: 1m\nsweep-interval: 3s\n");
    const env = { ANYKV_PORT: "2222", ANYKV_MAX_DEPTH: "22", ANYKV_CONFIG: file };
    expect(serveOptions([], env)).toMatchObject({
      port: 2222,
      maxDepth: 22,
      defaultTtlMs: 60_000,
      sweepIntervalMs: 3000,
      chunkBytes: 1024 * 1024,
    });
    expect(serveOptions(["--port", "3333", "--config", file], env)).toMatchObject({
      port: 3333,
      maxDepth: 22,
      defaultTtlMs: 60_000,
    });
  });

  it("reads --config over ANYKV_CONFIG, JSON as well as YAML", () => {
    const json = configFile(JSON.stringify({ port: 4444, readonly: true, "cors-origin": ["*"] }), "json");
    const yaml = configFile("port: 5555\n");
    expect(serveOptions(["--config", json], { ANYKV_CONFIG: yaml })).toMatchObject({
      port: 4444,
      readOnly: true,
      corsOrigins: ["*"],
    });
    expect(serveOptions([], { ANYKV_CONFIG: yaml })).toMatchObject({ port: 5555, readOnly: false });
  });

  it("reads YAML lists, comma-separated strings, sizes, durations and yes/no", () => {
    const file = configFile(
      [
        "allowed-hosts: [localhost, '.example.com']",
        "models: a.binpb, b.binpb",
        "max-message-bytes: 8MiB",
        "idle-timeout: 90",
        "allow-code: yes",
        "store-none-values: false",
        "anystore-prefix: ''",
      ].join("\n"),
    );
    expect(serveOptions(["--config", file], {})).toMatchObject({
      allowedHosts: ["localhost", ".example.com"],
      models: ["a.binpb", "b.binpb"],
      maxMessageBytes: 8 * 1024 * 1024,
      idleTimeoutMs: 90_000,
      allowCode: true,
      storeNoneValues: false,
      anystorePrefix: "",
    });
  });
});

describe("bad values stop start-up, naming the option and where the value came from", () => {
  it("names the flag, the environment variable or the file key", () => {
    expect(() => serveOptions(["--port", "http"], {})).toThrow(
      'invalid configuration: --port (command line): "http" is not a whole number',
    );
    expect(() => serveOptions([], { ANYKV_PORT: "70000" })).toThrow(
      "invalid configuration: ANYKV_PORT (environment, for --port): must be from 0 to 65535 (got 70000)",
    );
    const file = configFile("chunk-size: 12\n");
    expect(() => serveOptions(["--config", file], {})).toThrow(
      `invalid configuration: chunk-size in ${file} (for --chunk-size): must be from 1024 to 67108864 bytes (got 12)`,
    );
    expect(() => serveOptions(["--config", configFile("default-ttl: soon\n")], {})).toThrow(
      /default-ttl in .* \(for --default-ttl\): "soon" is not a duration/,
    );
  });

  it("takes only true/false/1/0/yes/no for a switch in the environment", () => {
    for (const [text, value] of [
      ["true", true],
      ["YES", true],
      ["1", true],
      ["false", false],
      ["no", false],
      ["0", false],
    ] as const)
      expect(serveOptions([], { ANYKV_READONLY: text }).readOnly).toBe(value);
    for (const text of ["on", "off", "", "y", "2", "truthy"])
      expect(() => serveOptions([], { ANYKV_READONLY: text })).toThrow(
        /ANYKV_READONLY \(environment, for --readonly\): ".*" is not a boolean: use true, false, 1, 0, yes or no/,
      );
  });

  it("refuses unknown keys and files that are not a mapping, saying what the keys are", () => {
    expect(() => serveOptions(["--config", configFile("maxKeyBytes: 10\n")], {})).toThrow(
      /has an unknown option "maxKeyBytes"; the key is "max-key-bytes"/,
    );
    expect(() => serveOptions(["--config", configFile("- port\n")], {})).toThrow(/must hold a mapping/);
    expect(() => serveOptions(["--config", configFile("port: [1\n")], {})).toThrow(
      /is not valid JSON or YAML/,
    );
    expect(() => serveOptions(["--config", join(dir, "missing.yaml")], {})).toThrow(
      /cannot read the config file .*missing\.yaml/,
    );
    expect(() => serveOptions(["--config", configFile("port: 1\nport: 2\n")], {})).toThrow(/not valid/);
  });

  it("checks the library's options the same way, naming the option", () => {
    expect(() => resolveServerOptions({ maxDepth: 0 })).toThrow(
      "invalid configuration: option maxDepth (--max-depth): must be from 1 to 10000 (got 0)",
    );
    expect(() => loadServerOptions({ flags: {}, env: { ANYKV_KEEPALIVE_TIMEOUT: "0" } })).toThrow(
      /keepalive timeout must be positive .*ANYKV_KEEPALIVE_TIMEOUT \(environment, for --keepalive-timeout\) is 0/,
    );
  });
});

describe("protected mode", () => {
  it("refuses to listen beyond loopback without authentication unless --insecure", () => {
    for (const host of ["0.0.0.0", "::", "192.168.1.20", "example.com"])
      expect(() => serveOptions(["--host", host], {})).toThrow(/protected mode: --host .* --insecure/);
    expect(serveOptions(["--host", "0.0.0.0", "--insecure"], {})).toMatchObject({ host: "0.0.0.0" });
    expect(() => serveOptions(["--host", "0.0.0.0"], {})).toThrow(/add --auth-file FILE to require tokens/);
    expect(serveOptions(["--host", "0.0.0.0", "--auth-file", "tokens.json"], {})).toMatchObject({
      authFile: "tokens.json",
    });
    expect(serveOptions([], { ANYKV_HOST: "::", ANYKV_INSECURE: "yes" })).toMatchObject({ insecure: true });
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
      expect(serveOptions(["--host", host], {}).host).toBe(host);
  });
});
