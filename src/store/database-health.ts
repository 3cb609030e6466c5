import { EventEmitter } from "node:events";
import type { Logger } from "../logger.js";
import { isDatabaseTimeout, isDatabaseUnavailable } from "./db-errors.js";

/** What DatabaseHealth needs: a cheap round trip that rejects when the database does not answer in time. */
export interface DatabaseHealthOptions {
  probe: () => Promise<void>;
  now: () => number;
  logger: Logger;
  /** Between probes while the database is down. */
  probeIntervalMs?: number;
}

/**
 * Whether the database answers, as the calls that use it find out. A connection-class failure marks it down
 * at once; a mere timeout makes it a suspect, and one probe decides. While it is down, callers fail fast
 * (no query queues up behind a hung server) and a probe every half second finds out when it is back.
 * Listeners of "change" hear `true` when it goes down and `false` when it is back.
 */
export class DatabaseHealth extends EventEmitter<{ change: [down: boolean] }> {
  private since: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;

  constructor(private readonly options: DatabaseHealthOptions) {
    super();
  }

  /** Whether the database is known to be down. */
  get down(): boolean {
    return this.since !== null;
  }

  /** When the current outage began, or null. */
  get downSince(): number | null {
    return this.since;
  }

  /** Files a failed call's error: a timeout makes the database a suspect, a connection fault marks it down. */
  report(err: unknown): void {
    if (isDatabaseTimeout(err)) this.suspect();
    else if (isDatabaseUnavailable(err)) this.failed(err);
  }

  /** A call found the database unreachable. */
  failed(err: unknown): void {
    if (this.since !== null || this.stopped) return;
    this.since = this.options.now();
    this.options.logger.error({ err }, "database unavailable");
    this.emit("change", true);
    this.schedule();
  }

  /** A call took too long, or the change feed went quiet: one probe says whether the database is down. */
  suspect(): void {
    if (this.since !== null || this.probing || this.stopped) return;
    this.probing = true;
    this.options.probe().then(
      () => {
        this.probing = false;
      },
      (err: unknown) => {
        this.probing = false;
        this.failed(err);
      },
    );
  }

  /** A call got an answer: the database is up. */
  succeeded(): void {
    if (this.since === null) return;
    const downMs = this.options.now() - this.since;
    this.since = null;
    clearTimeout(this.timer);
    this.options.logger.info({ downMs }, "database available again");
    this.emit("change", false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.options.probe().then(
        () => this.succeeded(),
        () => {
          if (this.since !== null && !this.stopped) this.schedule();
        },
      );
    }, this.options.probeIntervalMs ?? 500);
    this.timer.unref();
  }
}
