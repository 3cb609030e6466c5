import type { WebhookConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { DeliveryRepository, type LeasedDelivery } from "../store/delivery-repository.js";
import { decideAttempt } from "./attempt-result.js";
import { sendRequest } from "./send-request.js";
import { signatureHeader } from "./signing.js";
import type { WebhookMetrics } from "./webhook-metrics.js";

/** How often an idle worker looks for due deliveries when nothing woke it. */
const POLL_MS = 5000;
/**
 * A lease outlives the attempt's timeout by this much (or by the timeout itself, when shorter), so a slow
 * answer is never attempted twice at once, and a replica that died mid-attempt holds nothing for long.
 */
const LEASE_MARGIN_MS = 10_000;

/**
 * Sends queued deliveries: leases what is due (one replica per attempt), at most `concurrency` at a time,
 * records each result and schedules retries. It runs when woken (a commit queued something) and when the
 * next retry falls due, with a slow poll as the safety net.
 */
export class DeliveryWorker {
  private readonly repo: DeliveryRepository;
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly config: WebhookConfig,
    private readonly metrics: WebhookMetrics,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {
    this.repo = new DeliveryRepository(database.db);
  }

  /** Starts sending. On embedded PGlite no other process can hold a lease, so stale ones are freed first. */
  async start(): Promise<void> {
    if (this.database.embedded) await this.repo.releaseLeases();
    this.wake();
  }

  /** Something was queued: look now. */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    clearTimeout(this.timer);
    try {
      do {
        this.again = false;
        const free = this.config.concurrency - this.running.size;
        if (free <= 0) break;
        const leased = await this.repo.lease(
          new Date(this.now()),
          this.config.timeoutMs + Math.min(LEASE_MARGIN_MS, this.config.timeoutMs),
          free,
        );
        for (const delivery of leased) this.track(this.attempt(delivery));
        if (leased.length === free) this.again = true;
      } while (this.again && !this.stopped);
      await this.schedule();
    } catch (err) {
      if (!this.stopped) this.logger.warn({ err }, "webhook delivery queue unavailable; retrying");
      this.timer = setTimeout(() => this.wake(), 1000).unref();
    } finally {
      this.pumping = undefined;
      // A wake-up that arrived after the last look must not be lost.
      if (this.again) this.wake();
    }
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => {
      this.running.delete(work);
      this.wake();
    });
  }

  /**
   * Sleeps until the next retry falls due, or the poll interval, whichever is sooner. On embedded PGlite
   * every delivery is queued by this process, whose commits wake the worker: with nothing pending there is
   * nothing to poll for, and a poll would hold the event loop (and the Checks behind it) for nothing.
   */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    const next = await this.repo.nextDue();
    if (!next && this.database.embedded) return;
    const wait = next ? Math.max(0, next.getTime() - this.now()) : POLL_MS;
    this.timer = setTimeout(() => this.wake(), Math.min(wait + 5, POLL_MS)).unref();
  }

  private async attempt(d: LeasedDelivery): Promise<void> {
    const now = this.now();
    const timestamp = Math.floor(now / 1000);
    const secrets = [d.secret];
    if (d.previousSecret && d.previousSecretExpireTime && d.previousSecretExpireTime.getTime() > now) {
      secrets.push(d.previousSecret);
    }
    const outcome = await sendRequest({
      url: d.url,
      body: d.body,
      headers: {
        "content-type": "application/json",
        "user-agent": "keyward-webhooks/1",
        "webhook-id": d.eventId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signatureHeader(secrets, d.eventId, timestamp, d.body),
      },
      timeoutMs: this.config.timeoutMs,
      allowInsecure: this.config.allowInsecure,
      signal: this.abort.signal,
    });
    // Cut short by shutdown: the lease lapses and another replica (or the next start) sends it again.
    if (this.abort.signal.aborted) return;
    const decision = decideAttempt(outcome, d.attempt + 1, this.config.retriesMs, this.now());
    try {
      await this.database.transaction(async (tx) => {
        await tx.deliveries.record(d.id, decision.result);
        if (decision.verdict === "disabled") {
          await tx.deliveries.disableWebhook(d.webhookId, "answered 410 Gone", decision.result.time);
        }
      });
      this.metrics.count(decision.verdict);
    } catch (err) {
      this.logger.warn({ err, delivery: d.id }, "could not record a webhook attempt; it will be sent again");
    }
  }

  /**
   * Stops taking work, lets attempts in flight finish and be recorded for up to `graceMs`, then abandons the
   * rest (their leases lapse and they are sent again: receivers see a repeat, never a loss).
   */
  async stop(graceMs = 3000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([this.pumping, ...this.running]), grace]);
    clearTimeout(timer);
    this.abort.abort();
    await Promise.allSettled([this.pumping, ...this.running]);
  }
}
