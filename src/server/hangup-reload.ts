/** What SIGHUP reloads, and where it says what happened. */
export interface HangupReloadOptions {
  readonly authFile: string;
  readonly tlsCert: string;
}

/** Where the reload says what happened (the server's logger). */
export interface HangupLog {
  info(line: string): void;
  error(line: string): void;
}

/**
 * On SIGHUP, reads the auth file and the TLS files again (`reload`), as nginx and etcd do; a bad
 * file is reported and what was in force stays. Installed only when there is something to
 * reload: otherwise SIGHUP keeps Node's default (the process ends).
 */
export function createHangupReload(
  options: HangupReloadOptions,
  reload: () => Promise<void>,
  log: HangupLog = { info: (line) => console.error(line), error: (line) => console.error(line) },
): { stop(): void } {
  if (!options.authFile && !options.tlsCert) return { stop() {} };
  const what = [options.authFile && `auth file ${options.authFile}`, options.tlsCert && "TLS files"]
    .filter(Boolean)
    .join(" and ");
  const onHangup = () => {
    reload().then(
      () => log.info(`anykv: SIGHUP: read the ${what} again`),
      (err: unknown) =>
        log.error(
          `anykv: SIGHUP: could not reload (${err instanceof Error ? err.message : String(err)}); ` +
            `the ${what} read before stay in force`,
        ),
    );
  };
  process.on("SIGHUP", onHangup);
  return { stop: () => process.off("SIGHUP", onHangup) };
}
