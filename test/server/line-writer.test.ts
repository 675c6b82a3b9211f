import pino from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, lineWriter } from "../../src/server/observe/logger.js";

// lineWriter builds the access line itself for the server's own loggers: it must write exactly
// the line pino writes for the same fields and message, whatever the fields hold.
function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}
const sameTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

const FIELDS = [
  {
    method: "anykv.v1.StoreService/Get",
    protocol: "grpc",
    namespace: undefined,
    code: "OK",
    ms: 0.123,
    bytesIn: 12,
    bytesOut: 130,
    peer: "127.0.0.1:40000",
  },
  { method: "m", namespace: 'quote " backslash \\ newline \n tab \t nul \u0000', ms: 1e21, bytesIn: 0 },
  { method: "m", namespace: "ünïcødé ✓ 🙂", ms: Number.NaN, bytesOut: Infinity },
  { method: "m", status: 404, path: "/anystore/x?y=1", peer: "[::1]:5000" },
  {},
];

describe("lineWriter", () => {
  it("writes what pino writes for a createLogger logger, byte for byte but the time", () => {
    for (const level of ["info", "debug"] as const) {
      const ours = capture();
      const theirs = capture();
      const write = lineWriter(createLogger({ level: "debug", destination: ours.destination }));
      const logger = createLogger({ level: "debug", destination: theirs.destination });
      for (const fields of FIELDS) {
        write(level, fields, "call");
        logger[level](fields, "call");
      }
      expect(ours.lines).toHaveLength(FIELDS.length);
      expect(ours.lines.map(sameTime)).toEqual(theirs.lines.map(sameTime));
      for (const line of ours.lines) expect(line.endsWith("}\n")).toBe(true);
      expect(JSON.parse(ours.lines[0] as string)).toMatchObject({
        level: level === "info" ? 30 : 20,
        msg: "call",
      });
    }
  });

  it("escapes a lone surrogate, so that the line stays valid UTF-8 and keeps the namespace", () => {
    // pino writes it raw, and the destination's UTF-8 turns it into U+FFFD.
    const out = capture();
    lineWriter(createLogger({ level: "info", destination: out.destination }))(
      "info",
      { namespace: "lone \ud800" },
      "call",
    );
    expect(out.lines[0]).toContain('"namespace":"lone \\ud800"');
    expect(JSON.parse(out.lines[0] as string).namespace).toBe("lone \ud800");
  });

  it("writes through pino for a destination that reads pino's metadata of each line", () => {
    const lines: string[] = [];
    const destination = {
      [pino.symbols.needsMetadataGsym]: true,
      lastLevel: 0,
      write: (line: string) => void lines.push(line),
    };
    lineWriter(createLogger({ level: "debug", destination }))("debug", { method: "m" }, "call");
    expect(destination.lastLevel).toBe(20);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 20, method: "m", msg: "call" });
  });

  it("writes through pino for any other logger, so its serializers and formatters still apply", () => {
    const out = capture();
    const logger = pino(
      { serializers: { peer: () => "[redacted]" }, formatters: { level: (label) => ({ level: label }) } },
      out.destination,
    );
    lineWriter(logger)("info", { method: "m", peer: "127.0.0.1:1" }, "call");
    expect(JSON.parse(out.lines[0] as string)).toMatchObject({
      level: "info",
      peer: "[redacted]",
      msg: "call",
    });
  });
});
