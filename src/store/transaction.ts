import { AuditRepository } from "./audit-repository.js";
import { DeliveryRepository } from "./delivery-repository.js";
import type { Executor } from "./executor.js";
import { KeyRepository } from "./key-repository.js";
import { LeakRepository } from "./leak-repository.js";
import { NoticeRepository } from "./notice-repository.js";
import { OutboxRepository } from "./outbox-repository.js";
import { UserRepository } from "./user-repository.js";
import { WebhookRepository } from "./webhook-repository.js";

/**
 * One open transaction: the repositories bound to it, and a hook for what must follow its commit. A change
 * and its audit event are written through the same `Tx`, so they commit together or not at all.
 */
export interface Tx {
  keys: KeyRepository;
  audit: AuditRepository;
  users: UserRepository;
  /** The webhook outbox: `tx.events.publish(event, now)` beside the change that causes the event. */
  events: OutboxRepository;
  webhooks: WebhookRepository;
  deliveries: DeliveryRepository;
  /** Marks that keep scheduled notices and alerts to once. */
  notices: NoticeRepository;
  /** Keys named by leak reports, by hash. */
  leaks: LeakRepository;
  /** Runs `fn` once the transaction has committed; never when it rolls back. */
  onCommit(fn: () => void): void;
}

/** What follows a commit, gathered while the transaction runs. */
export class CommitHooks {
  private readonly hooks: (() => void)[] = [];
  private readonly changedKeys = new Set<string>();
  private published = false;

  constructor(
    private readonly keysChanged: (keyId: string) => void,
    private readonly eventsQueued: () => void = () => {},
  ) {}

  /** The repositories and hooks of a transaction running on `trx`. */
  bind(trx: Executor): Tx {
    return {
      keys: new KeyRepository(trx, (id) => this.changedKeys.add(id)),
      audit: new AuditRepository(trx),
      users: new UserRepository(trx),
      events: new OutboxRepository(trx, () => {
        this.published = true;
      }),
      webhooks: new WebhookRepository(trx),
      deliveries: new DeliveryRepository(trx),
      notices: new NoticeRepository(trx),
      leaks: new LeakRepository(trx),
      onCommit: (fn) => this.hooks.push(fn),
    };
  }

  /**
   * Tells the cache about every key the transaction changed, wakes the webhook worker when it published
   * events, then runs the registered hooks in order.
   */
  run(): void {
    for (const id of this.changedKeys) this.keysChanged(id);
    if (this.published) this.eventsQueued();
    for (const fn of this.hooks) fn();
  }
}
