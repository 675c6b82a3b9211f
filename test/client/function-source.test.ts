import { describe, expect, it } from "vitest";
import { functionSource } from "../../src/client/function-source.js";

describe("functions as values", () => {
  it("sends self-contained functions as their source", () => {
    expect(functionSource((x: unknown) => (x as number) * 2)).toContain("* 2");
    expect(
      functionSource(function named(a: unknown) {
        const b = [a, Math.max(1, 2), JSON.stringify({ k: a })];
        return b.map((v) => String(v)).join(",");
      } as (...args: unknown[]) => unknown),
    ).toContain("named");
    const destructured = ({ a, b: [c] }: { a: number; b: number[] }, ...rest: number[]) =>
      a + (c ?? 0) + rest.length;
    expect(() => functionSource(destructured as (...args: unknown[]) => unknown)).not.toThrow();
  });

  it("refuses closures, naming what they capture", () => {
    const factor = 3;
    const offset = 1;
    const closure = (x: unknown) => (x as number) * factor + offset;
    expect(() => functionSource(closure as (...args: unknown[]) => unknown)).toThrow(
      /uses "factor", "offset" from outside/,
    );
  });

  it("refuses built-in, bound and method-shorthand functions", () => {
    expect(() => functionSource(Math.max as (...args: unknown[]) => unknown)).toThrow(/built in or bound/);
    expect(() => functionSource(((x: unknown) => x).bind(null) as (...args: unknown[]) => unknown)).toThrow(
      /built in or bound/,
    );
    const obj = {
      method(x: unknown) {
        return x;
      },
    };
    expect(() => functionSource(obj.method as (...args: unknown[]) => unknown)).toThrow(/method shorthand/);
  });
});
