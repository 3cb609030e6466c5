import type { NotifyConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { scanAlerts } from "./alert-scan.js";
import { scanExpiries } from "./expiry-scan.js";

/**
 * Runs the expiry and alert scans every `intervalMs`. Each scan is one transaction under an advisory lock, so
 * with several replicas one of them scans and the others skip that round; the marks written beside the
 * events make a repeated scan (after a crash, or a replica that skipped the lock) publish nothing twice.
 */
export class NotifyScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly config: NotifyConfig,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.config.intervalMs);
    this.timer.unref();
    void this.runOnce();
  }

  /** One scan now, after the one running (if any); resolves with the number of events it published. */
  async runOnce(): Promise<number> {
    while (this.running) await this.running;
    if (this.stopped) return 0;
    let published = 0;
    this.running = (async () => {
      try {
        published = await this.database.transaction(async (tx) => {
          if (!(await tx.notices.tryScanLock())) return 0;
          const now = new Date(this.now());
          const expiries = await scanExpiries(tx, now, this.config.expiryWarningsMs);
          return expiries + (await scanAlerts(tx, now, this.config));
        });
      } catch (err) {
        this.logger.warn({ err }, "expiry and alert scan failed; the next one retries");
      }
    })();
    await this.running;
    this.running = undefined;
    return published;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
