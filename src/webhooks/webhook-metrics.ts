import { Counter, Gauge, type Registry } from "prom-client";
import type { DeliveryRepository } from "../store/delivery-repository.js";
import type { AttemptVerdict } from "./attempt-result.js";

/** The delivery metrics on /metrics: attempts by outcome, and the queue read from the store at scrape. */
export class WebhookMetrics {
  readonly attempts: Counter<"outcome">;

  constructor(registry: Registry, deliveries: DeliveryRepository, now: () => number) {
    this.attempts = new Counter({
      name: "keyward_webhook_deliveries_total",
      help: "Webhook delivery attempts by outcome: succeeded, retrying, failed (no retry left) or disabled (410).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    });
    // Both gauges come from one query at scrape time, so every replica reports the shared queue's truth.
    let backlog: Promise<{ pending: number; oldest: Date | null }> | undefined;
    const read = () => {
      backlog ??= deliveries.backlog().finally(() => setTimeout(() => (backlog = undefined), 100).unref());
      return backlog;
    };
    new Gauge({
      name: "keyward_webhook_queue_depth",
      help: "Webhook deliveries waiting to be sent (due now or waiting for a retry).",
      registers: [registry],
      async collect() {
        this.set((await read().catch(() => ({ pending: 0 }))).pending);
      },
    });
    new Gauge({
      name: "keyward_webhook_oldest_pending_seconds",
      help: "Age of the oldest webhook delivery still waiting to be sent; 0 when none is.",
      registers: [registry],
      async collect() {
        const { oldest } = await read().catch(() => ({ oldest: null }));
        this.set(oldest ? Math.max(0, (now() - oldest.getTime()) / 1000) : 0);
      },
    });
  }

  /** Counts one attempt. */
  count(verdict: AttemptVerdict): void {
    this.attempts.inc({ outcome: verdict });
  }
}
