import type { Logger } from "../logger.js";

/** Where aged rows are deleted: the store implements it, so this folder needs nothing from the store. */
export interface RetentionStore {
  /** The tables whose rows age out. */
  readonly tables: readonly string[];
  /** Deletes at most `limit` rows of `table` from before `cutoff`; null when another replica is deleting. */
  deleteBatch(table: string, cutoff: Date, limit: number): Promise<number | null>;
}

/** How retention runs; the defaults suit production, tests shrink them. */
export interface RetentionOptions {
  retentionMs: number;
  now: () => number;
  /** Rows deleted per transaction: short transactions, short locks, no long stall of the embedded engine. */
  batchSize?: number;
  /** Batches per table per sweep at most; what remains waits for the next sweep. */
  maxBatches?: number;
}

/**
 * Deletes authentication events and usage older than KEYWARD_RETENTION, every few minutes, in small batches.
 * Every replica runs it; the retention lock lets one replica delete at a time, and the others skip.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly repository: RetentionStore,
    private readonly options: RetentionOptions,
    private readonly logger: Logger,
  ) {}

  /** Sweeps every `intervalMs`, the first time after `firstMs`. */
  start(intervalMs = 600_000, firstMs = 60_000): void {
    const tick = () => {
      this.sweep().catch((err) => this.logger.warn({ err }, "retention sweep failed; trying again later"));
    };
    this.timer = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, intervalMs);
      this.timer.unref();
    }, firstMs);
    this.timer.unref();
  }

  /** Deletes what has aged out; the rows deleted (0 when another replica is sweeping). Sweeps never overlap. */
  sweep(): Promise<number> {
    this.running ??= this.sweepOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    const cutoff = new Date(this.options.now() - this.options.retentionMs);
    const size = this.options.batchSize ?? 1000;
    let total = 0;
    for (const table of this.repository.tables) {
      for (let i = 0; i < (this.options.maxBatches ?? 100); i++) {
        const deleted = await this.repository.deleteBatch(table, cutoff, size);
        if (deleted === null) return total;
        total += deleted;
        if (deleted < size) break;
        // Let Checks and flushes in between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (total > 0)
      this.logger.info({ deleted: total, before: cutoff.toISOString() }, "retention: old rows deleted");
    return total;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await this.running;
  }
}
