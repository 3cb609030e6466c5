import type { Registry } from "prom-client";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { NotifyScheduler } from "../notify/notify-scheduler.js";
import type { Database } from "../store/database.js";
import { DeliveryRepository } from "../store/delivery-repository.js";
import { DeliveryWorker } from "./delivery-worker.js";
import { listenForDeliveries } from "./wake-listener.js";
import { WebhookMetrics } from "./webhook-metrics.js";

/** The running event machinery of one replica. */
export interface EventServices {
  worker: DeliveryWorker;
  scheduler: NotifyScheduler;
  /** Call after a commit that may have queued deliveries. */
  wake(): void;
  stop(): Promise<void>;
}

/** Starts the delivery worker (woken by commits on any replica) and the expiry and alert scans. */
export async function startEvents(
  deps: { database: Database; config: Config; now: () => number; logger: Logger },
  registry: Registry,
): Promise<EventServices> {
  const { database, config, now, logger } = deps;
  const metrics = new WebhookMetrics(registry, new DeliveryRepository(database.db), now);
  const worker = new DeliveryWorker(database, config.webhooks, metrics, now, logger);
  const unlisten = await listenForDeliveries(database, () => worker.wake(), logger);
  await worker.start();
  const scheduler = new NotifyScheduler(database, config.notify, now, logger);
  scheduler.start();
  return {
    worker,
    scheduler,
    wake: () => worker.wake(),
    async stop() {
      await scheduler.stop();
      await unlisten();
      await worker.stop();
    },
  };
}
