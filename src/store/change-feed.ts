import pg from "pg";
import type { Logger } from "../logger.js";
import type { Database } from "./database.js";

/** The channel the `keys` trigger notifies on; the payload is `schema:key_id`. */
export const KEY_CHANNEL = "keyward_keys";

/** What the feed tells its subscriber. */
export interface ChangeFeedHandlers {
  /** A key changed (in this replica or another). */
  onChange(keyId: string): void;
  /** The feed is (re)connected: anything may have changed while it was not. */
  onConnected(): void;
  /** The feed is down: notifications will be missed until it is back. */
  onDisconnected(): void;
}

/** A running subscription to key changes. */
export interface ChangeFeed {
  readonly connected: boolean;
  stop(): Promise<void>;
}

/**
 * Subscribes to key changes. On PostgreSQL a dedicated connection LISTENs and reconnects with backoff after
 * any failure; on PGlite the engine delivers notifications in-process.
 */
export async function openChangeFeed(
  database: Database,
  handlers: ChangeFeedHandlers,
  logger: Logger,
): Promise<ChangeFeed> {
  const prefix = `${database.schema}:`;
  const deliver = (payload: string | undefined) => {
    if (payload?.startsWith(prefix)) handlers.onChange(payload.slice(prefix.length));
  };
  const pglite = database.pglite;
  if (pglite) {
    const unlisten = await pglite.listen(KEY_CHANNEL, deliver);
    handlers.onConnected();
    return { connected: true, stop: unlisten };
  }
  if (database.target.kind !== "postgres") throw new Error("no change feed for this store");
  const feed = new PostgresFeed(database.target.url, handlers, deliver, logger);
  await feed.connect();
  return feed;
}

class PostgresFeed implements ChangeFeed {
  connected = false;
  private client: pg.Client | undefined;
  /** The connection being set up or in use; events from any older one are ignored. */
  private current: pg.Client | undefined;
  private stopped = false;
  private retryMs = 50;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly handlers: ChangeFeedHandlers,
    private readonly deliver: (payload: string | undefined) => void,
    private readonly logger: Logger,
  ) {}

  async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: "keyward-change-feed" });
    this.current = client;
    client.on("notification", (msg) => {
      if (msg.channel === KEY_CHANNEL) this.deliver(msg.payload);
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${KEY_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners("end");
      client.end().catch(() => {});
      this.lost(client, err);
      return;
    }
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
    this.connected = true;
    this.retryMs = 50;
    this.handlers.onConnected();
    this.logger.info("key change feed connected");
  }

  private lost(client: pg.Client, err?: unknown): void {
    // A late error or end from a connection already given up on must not start a second reconnect.
    if (client !== this.current) return;
    this.current = undefined;
    this.client = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected || !this.timer) this.handlers.onDisconnected();
    if (this.stopped || this.timer) return;
    this.logger.warn({ err, retryMs: this.retryMs }, "key change feed lost; reconnecting");
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 2000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => {});
  }
}
