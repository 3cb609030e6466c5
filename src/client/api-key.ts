import { PREFIX_PATTERN, parseKey } from "../keys/format.js";

/** The client was given no usable admin key: raised when it is made, before any call. */
export class KeywardClientError extends Error {
  override name = "KeywardClientError";
}

/**
 * The admin key, checked offline: present, and shaped like a Keyward key with a valid checksum. Surrounding
 * whitespace (a key read from a file or a shell variable with its newline) is dropped; anything else wrong is
 * one sentence saying what, never the key itself.
 */
export function checkedApiKey(apiKey: string | undefined): string {
  const key = apiKey?.trim() ?? "";
  if (key === "") {
    throw new KeywardClientError(
      "createKeywardClient: apiKey is missing; pass an admin key (keyward keygen --company ID --admin), e.g. from an environment variable such as KEYWARD_ADMIN_KEY",
    );
  }
  const prefix = key.slice(0, Math.max(0, key.indexOf("_")));
  if (!PREFIX_PATTERN.test(prefix) || parseKey(key, prefix) === "malformed") {
    throw new KeywardClientError(
      `createKeywardClient: apiKey is not a Keyward key (${key.length} characters; expected the whole sk_live_… line keyward keygen printed, without quotes)`,
    );
  }
  return key;
}
