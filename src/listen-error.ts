import type { ListenAddress } from "./config.js";

/** A listener could not take its address; the message is one line naming the address and the setting. */
export class ListenError extends Error {
  override name = "ListenError";
}

/**
 * Starts a listener, turning "address in use" (and "permission denied", a port below 1024) into one line
 * that names the listener, its address and the setting that chose it, instead of a socket error's stack.
 */
export async function listenOrExplain<T>(
  listener: "authz" | "admin",
  address: ListenAddress,
  start: () => Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const reason = /EADDRINUSE|address already in use/i.test(text)
      ? "the address is already in use (is another keyward serve running?)"
      : /EACCES|permission denied/i.test(text)
        ? "permission denied"
        : null;
    if (!reason) throw err;
    const where = address.host.includes(":")
      ? `[${address.host}]:${address.port}`
      : `${address.host}:${address.port}`;
    const setting =
      listener === "authz"
        ? "KEYWARD_AUTHZ_LISTEN or --authz-listen"
        : "KEYWARD_ADMIN_LISTEN or --admin-listen";
    throw new ListenError(
      `the ${listener} listener cannot listen on ${where}: ${reason}; choose another with ${setting}`,
    );
  }
}
