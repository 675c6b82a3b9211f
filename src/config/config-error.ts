/**
 * A configuration that cannot start a server: the message names the option and where its value
 * came from (flag, environment variable, config file). A RangeError, so that the CLI prints the
 * message alone, without a stack trace.
 */
export class ConfigError extends RangeError {
  override readonly name = "ConfigError";
  constructor(message: string) {
    super(`invalid configuration: ${message}`);
  }
}
