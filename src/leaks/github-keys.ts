import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { ConfigError } from "../config.js";
import type { Logger } from "../logger.js";

/**
 * GitHub's secret-scanning public keys, from the file KEYWARD_GITHUB_SCANNING_KEYS_FILE names (the JSON that
 * `GET https://api.github.com/meta/public_keys/secret_scanning` serves). The file is looked at again on each
 * alert (one stat) and re-read when it changed, so a key GitHub rotates in is picked up without a restart. A
 * file that no longer parses keeps the last good keys, with a warning.
 */
export class ScanningKeys {
  private keys: Map<string, KeyObject>;
  private stamp: string;
  private refreshing: Promise<void> | null = null;

  /** Reads the file now: a missing or unusable file at start is a configuration error. */
  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {
    try {
      this.keys = parseScanningKeys(readFileSync(path, "utf8"));
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(`KEYWARD_GITHUB_SCANNING_KEYS_FILE ${path} is unusable: ${reason}`);
    }
    this.stamp = "";
  }

  /** The public key GitHub names `identifier`, as the file holds it now. */
  async key(identifier: string): Promise<KeyObject | undefined> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    await this.refreshing;
    return this.keys.get(identifier);
  }

  private async refresh(): Promise<void> {
    try {
      const s = await stat(this.path);
      const stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
      if (stamp === this.stamp) return;
      this.keys = parseScanningKeys(await readFile(this.path, "utf8"));
      this.stamp = stamp;
    } catch (err) {
      this.logger.warn(
        { path: this.path, reason: (err as Error).message },
        "GitHub scanning keys file unusable; keeping the keys read before",
      );
    }
  }
}

/** `{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}` → the ECDSA P-256 keys by identifier. */
export function parseScanningKeys(text: string): Map<string, KeyObject> {
  const doc = JSON.parse(text) as { public_keys?: unknown };
  if (!Array.isArray(doc?.public_keys)) throw new Error("public_keys must be an array");
  const keys = new Map<string, KeyObject>();
  for (const entry of doc.public_keys as { key_identifier?: unknown; key?: unknown }[]) {
    if (typeof entry?.key_identifier !== "string" || typeof entry.key !== "string") {
      throw new Error("each public key needs a key_identifier and a key");
    }
    const key = createPublicKey(entry.key);
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new Error(`key ${entry.key_identifier} is not an ECDSA P-256 key`);
    }
    keys.set(entry.key_identifier, key);
  }
  return keys;
}

/** Whether `signature` (base64 of a DER ECDSA signature) signs `body` under `key` with SHA-256. */
export function signatureValid(key: KeyObject, body: Buffer, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature) || signature.length > 256) return false;
  try {
    return verify("sha256", body, { key, dsaEncoding: "der" }, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}
