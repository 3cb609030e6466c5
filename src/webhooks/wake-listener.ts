import pg from "pg";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";

/** The channel new deliveries are announced on; the payload is the schema they were queued in. */
export const DELIVERY_CHANNEL = "keyward_webhooks";

/**
 * Calls `onQueued` whenever any replica commits a new delivery in this database's schema. On PostgreSQL a
 * connection of its own LISTENs (reconnecting after a failure, when it also calls `onQueued`: something may
 * have been missed); on PGlite the engine's thread passes its notifications on. Returns the function that stops listening.
 */
export async function listenForDeliveries(
  database: Database,
  onQueued: () => void,
  logger: Logger,
): Promise<() => Promise<void>> {
  const schema = database.schema;
  const deliver = (payload: string | undefined) => {
    if (payload === schema) onQueued();
  };
  if (database.embedded) return database.embedded.listen(DELIVERY_CHANNEL, deliver);
  if (database.target.kind !== "postgres") throw new Error("no notifications for this store");
  const url = database.target.url;
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: "keyward-webhooks" });
    client = c;
    const lost = () => {
      if (client !== c || stopped) return;
      client = undefined;
      c.end().catch(() => {});
      timer = setTimeout(() => void connect(), 1000);
    };
    c.on("notification", (msg) => deliver(msg.payload));
    c.on("error", lost);
    c.on("end", lost);
    try {
      await c.connect();
      await c.query(`listen ${DELIVERY_CHANNEL}`);
      onQueued();
    } catch (err) {
      logger.warn({ err }, "webhook wake-up listener failed; retrying");
      lost();
    }
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}
