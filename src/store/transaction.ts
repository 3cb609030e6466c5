import { AuditRepository } from "./audit-repository.js";
import type { Executor } from "./executor.js";
import { KeyRepository } from "./key-repository.js";
import { UserRepository } from "./user-repository.js";

/**
 * One open transaction: the repositories bound to it, and a hook for what must follow its commit. A change
 * and its audit event are written through the same `Tx`, so they commit together or not at all.
 */
export interface Tx {
  keys: KeyRepository;
  audit: AuditRepository;
  users: UserRepository;
  /** Runs `fn` once the transaction has committed; never when it rolls back. */
  onCommit(fn: () => void): void;
}

/** What follows a commit, gathered while the transaction runs. */
export class CommitHooks {
  private readonly hooks: (() => void)[] = [];
  private readonly changedKeys = new Set<string>();

  constructor(private readonly keysChanged: (keyId: string) => void) {}

  /** The repositories and hooks of a transaction running on `trx`. */
  bind(trx: Executor): Tx {
    return {
      keys: new KeyRepository(trx, (id) => this.changedKeys.add(id)),
      audit: new AuditRepository(trx),
      users: new UserRepository(trx),
      onCommit: (fn) => this.hooks.push(fn),
    };
  }

  /** Tells the cache about every key the transaction changed, then runs the registered hooks in order. */
  run(): void {
    for (const id of this.changedKeys) this.keysChanged(id);
    for (const fn of this.hooks) fn();
  }
}
