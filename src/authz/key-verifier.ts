import { parseKey } from "../keys/format.js";
import { digestsEqual, type KeyHasher } from "../keys/hasher.js";
import type { KeyRepository } from "../store/key-repository.js";
import { type VerifiedKey, verifiedKey } from "./verified-key.js";

/** What a presented credential turned out to be. */
export type Verification = { kind: "malformed" } | { kind: "unknown" } | { kind: "key"; key: VerifiedKey };

/** Resolves a presented credential to a stored key: offline checks first, then one indexed lookup. */
export class KeyVerifier {
  constructor(
    private readonly keys: KeyRepository,
    private readonly hasher: KeyHasher,
    private readonly prefix: string,
  ) {}

  async verify(credential: string): Promise<Verification> {
    // A bad shape or checksum is answered here: random strings never cost a database query.
    if (parseKey(credential, this.prefix) === "malformed") return { kind: "malformed" };
    const candidates = this.hasher.candidates(credential);
    const record = await this.keys.findByHash(candidates.map((c) => c.hash));
    if (!record) return { kind: "unknown" };
    const match = candidates.some(
      (c) => c.pepperId === record.pepperId && digestsEqual(c.hash, record.keyHash),
    );
    return match ? { kind: "key", key: verifiedKey(record) } : { kind: "unknown" };
  }
}
