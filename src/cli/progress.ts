import type { Progress } from "../client/large-value-client.js";

/**
 * Progress of a long transfer on stderr: redrawn in place on a terminal, a
 * line every few seconds otherwise (logs and CI), and a summary at the end.
 */
export function createProgressReporter(verb: string, out: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let lastLine = 0;
  const line = ({ bytes, total }: Progress) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const part = total ? ` / ${mib(total)} (${Math.floor((bytes / total) * 100)}%)` : "";
    return `${verb} ${mib(bytes)}${part}, ${mib(bytes / seconds)}/s`;
  };
  return {
    update(progress: Progress) {
      if (out.isTTY) {
        out.write(`\r${line(progress)}\u001b[K`);
      } else if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        out.write(`${line(progress)}\n`);
      }
    },
    done(progress: Progress) {
      out.write(out.isTTY ? `\r${line(progress)}, done\u001b[K\n` : `${line(progress)}, done\n`);
    },
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
