import { type ServerOptionKey, serverOptionSpecs } from "./option-table.js";

/**
 * The option table as the Markdown table docs/operations.md shows (a test keeps the two equal):
 * flag, environment variable, default and help, one row per option, in --help's order.
 */
export function optionsMarkdown(): string {
  const rows = serverOptionSpecs.map(([key, spec]) => {
    const switchFlag = spec.kind.arg === undefined;
    const flag = switchFlag
      ? `\`--${spec.default === true ? "no-" : ""}${spec.flag}\``
      : `\`--${spec.flag} ${spec.kind.arg}\`${spec.kind.repeatable ? " (repeatable)" : ""}`;
    const shown =
      spec.defaultText ??
      (spec.serveDefault === undefined
        ? spec.kind.format(spec.default)
        : `${spec.kind.format(spec.serveDefault)} (library: ${spec.kind.format(spec.default)})`);
    return `| ${flag} | \`${spec.env}\` | \`${spec.flag}\` | ${escapeCell(shown)} | ${escapeCell(spec.help)} | \`${key satisfies ServerOptionKey}\` |`;
  });
  return [
    "| flag | environment | config file key | default | meaning | library option |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}
