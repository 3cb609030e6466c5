import { Code, ConnectError } from "@connectrpc/connect";
import type { KeyVerifier } from "../../authz/key-verifier.js";
import { verifiedKey } from "../../authz/verified-key.js";
import type { KeyRepository } from "../../store/key-repository.js";
import type { SessionRepository } from "../../store/session-repository.js";
import { admitAdminKey } from "../authenticate.js";
import type { Principal } from "../principal.js";
import { hashSessionId, isSessionId, newSessionId } from "./session-id.js";
import { IDLE_TIMEOUT_MS, needsTouch, sessionAlive } from "./session-policy.js";

/** What console sessions need. */
export interface ConsoleSessionsDeps {
  verifier: KeyVerifier;
  keys: KeyRepository;
  sessions: SessionRepository;
  ttlMs: number;
  now: () => number;
}

/** Console sign-in, per-call session checks and sign-out. */
export class ConsoleSessions {
  constructor(private readonly deps: ConsoleSessionsDeps) {}

  /** How long a session may go unused. */
  get idleMs(): number {
    return Math.min(IDLE_TIMEOUT_MS, this.deps.ttlMs);
  }

  /** Checks an admin key as the admin API would, and opens a session acting with it. */
  async signIn(credential: string, sourceIp: string | null): Promise<{ id: string; expireTime: Date }> {
    const verification = await this.deps.verifier.verify(credential);
    if (verification.kind !== "key") {
      const code = verification.kind === "malformed" ? "malformed_key" : "invalid_key";
      throw new ConnectError(`admin key rejected: ${code}`, Code.Unauthenticated);
    }
    const now = this.deps.now();
    const principal = admitAdminKey(verification.key, sourceIp, now);
    if (principal.kind !== "key") throw new Error("an admin key signs in as a key");
    const id = newSessionId();
    const expireTime = new Date(now + this.deps.ttlMs);
    await this.deps.sessions.insert(hashSessionId(id), {
      keyId: principal.keyId,
      createTime: new Date(now),
      lastSeenTime: new Date(now),
      expireTime,
    });
    return { id, expireTime };
  }

  /**
   * The principal a session acts as. The admin key is read from the database on every call, not from a cache,
   * so a suspension or revocation on any replica ends the session with the very next call.
   */
  async principal(id: string, sourceIp: string | null): Promise<Principal> {
    const ended = new ConnectError("the console session has ended: sign in again", Code.Unauthenticated);
    if (!isSessionId(id)) throw ended;
    const hash = hashSessionId(id);
    const session = await this.deps.sessions.find(hash);
    const now = this.deps.now();
    if (!session || !sessionAlive(session, now, this.idleMs)) throw ended;
    const record = await this.deps.keys.findById(session.keyId);
    if (!record) throw ended;
    const principal = admitAdminKey(verifiedKey(record), sourceIp, now);
    if (needsTouch(session, now)) await this.deps.sessions.touch(hash, new Date(now));
    return principal;
  }

  /** Ends a session; an unknown one is already ended. */
  async signOut(id: string): Promise<void> {
    if (isSessionId(id)) await this.deps.sessions.delete(hashSessionId(id));
  }
}
