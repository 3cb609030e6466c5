import type { Logger } from "../logger.js";
import type { KeyRepository } from "../store/key-repository.js";

/**
 * Remembers, in memory, when each key was last used and writes it in batches: the Check path never waits on
 * a database write. What is pending is flushed every interval and on shutdown.
 */
export class UsageRecorder {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly keys: KeyRepository,
    private readonly logger: Logger,
  ) {}

  /** Notes one use of `keyId` at `now` (epoch ms). */
  record(keyId: string, now: number): void {
    const prior = this.pending.get(keyId);
    if (prior === undefined || prior < now) this.pending.set(keyId, now);
  }

  /** The newest use of `keyId` this replica has not written yet. */
  pendingLastUsed(keyId: string): number | undefined {
    return this.pending.get(keyId);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Writes what is pending; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await this.keys.touch(new Map([...batch].map(([id, t]) => [id, new Date(t)])));
      } catch (err) {
        // Put the batch back: nothing is lost because the database blinked.
        for (const [id, t] of batch) this.record(id, t);
        this.logger.warn({ err }, "usage flush failed; will retry");
      }
    });
    return this.flushing;
  }

  /** Stops the timer and writes what remains. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
