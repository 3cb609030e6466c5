import type { Registry } from "prom-client";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { DeliveryRepository } from "../store/delivery-repository.js";
import { DeliveryWorker } from "../webhooks/delivery-worker.js";
import { listenForDeliveries } from "../webhooks/wake-listener.js";
import { WebhookMetrics } from "../webhooks/webhook-metrics.js";
import { NotifyScheduler } from "./notify-scheduler.js";

/** The event machinery of one replica: webhook deliveries, expiry warnings and alerts. */
export interface EventServices {
  worker: DeliveryWorker;
  scheduler: NotifyScheduler;
  /** A commit queued deliveries: send them now. */
  wake(): void;
  /** Starts sending (woken by commits on any replica) and scanning. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the event services over an open store; nothing runs until `start()`. */
export function createEvents(
  deps: { database: Database; config: Config; now: () => number; logger: Logger },
  registry: Registry,
): EventServices {
  const { database, config, now, logger } = deps;
  const metrics = new WebhookMetrics(registry, new DeliveryRepository(database.db), now);
  const worker = new DeliveryWorker(database, config.webhooks, metrics, now, logger);
  const scheduler = new NotifyScheduler(database, config.notify, now, logger);
  let unlisten: (() => Promise<void>) | undefined;
  return {
    worker,
    scheduler,
    wake: () => worker.wake(),
    async start() {
      unlisten = await listenForDeliveries(database, () => worker.wake(), logger);
      await worker.start();
      scheduler.start();
    },
    async stop() {
      await scheduler.stop();
      await unlisten?.();
      await worker.stop();
    },
  };
}
