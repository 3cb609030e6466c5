/** A bad setting: the message is one line naming it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
