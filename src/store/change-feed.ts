import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "../logger.js";
import { type Database, POSTGRES_BOUNDS } from "./database.js";

/** The channel the `keys` trigger notifies on; the payload is `schema:key_id`. */
export const KEY_CHANNEL = "keyward_keys";

/** What the feed tells its subscriber. */
export interface ChangeFeedHandlers {
  /** A key changed (in this replica or another). */
  onChange(keyId: string): void;
  /** The feed is (re)connected: anything may have changed while it was not. */
  onConnected(): void;
  /** The feed is down (or late): notifications will be missed until it is back. */
  onDisconnected(): void;
}

/** How often the feed notifies itself, and how late a heartbeat may be before the feed counts as down. */
export interface HeartbeatTiming {
  intervalMs: number;
  lateMs: number;
}

const HEARTBEAT: HeartbeatTiming = { intervalMs: 1000, lateMs: 2000 };

/** A running subscription to key changes. */
export interface ChangeFeed {
  readonly connected: boolean;
  stop(): Promise<void>;
}

/**
 * Subscribes to key changes. On PostgreSQL a dedicated connection LISTENs and reconnects with backoff after
 * any failure; on PGlite the engine's thread passes its notifications on.
 */
export async function openChangeFeed(
  database: Database,
  handlers: ChangeFeedHandlers,
  logger: Logger,
  heartbeat: HeartbeatTiming = HEARTBEAT,
): Promise<ChangeFeed> {
  const prefix = `${database.schema}:`;
  const deliver = (payload: string | undefined) => {
    if (payload?.startsWith(prefix)) handlers.onChange(payload.slice(prefix.length));
  };
  const embedded = database.embedded;
  if (embedded) {
    const unlisten = await embedded.listen(KEY_CHANNEL, deliver);
    handlers.onConnected();
    return { connected: true, stop: unlisten };
  }
  if (database.target.kind !== "postgres") throw new Error("no change feed for this store");
  const feed = new PostgresFeed(database.target.url, handlers, deliver, logger, heartbeat);
  await feed.connect();
  return feed;
}

/**
 * The PostgreSQL feed. A LISTEN connection can stall with TCP up and nothing delivered (a NAT that dropped an
 * idle flow, a frozen backend), which no socket error reports; so the connection NOTIFYs itself every second
 * on a channel of its own, and a heartbeat late by more than `lateMs` counts as a lost connection.
 */
class PostgresFeed implements ChangeFeed {
  connected = false;
  private client: pg.Client | undefined;
  /** The connection being set up or in use; events from any older one are ignored. */
  private current: pg.Client | undefined;
  private stopped = false;
  private retryMs = 50;
  private timer: NodeJS.Timeout | undefined;
  private beat: NodeJS.Timeout | undefined;
  private lastBeat = 0;
  private readonly beatChannel = `keyward_heartbeat_${randomBytes(8).toString("hex")}`;

  constructor(
    private readonly url: string,
    private readonly handlers: ChangeFeedHandlers,
    private readonly deliver: (payload: string | undefined) => void,
    private readonly logger: Logger,
    private readonly heartbeat: HeartbeatTiming,
  ) {}

  async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: "keyward-change-feed",
      ...POSTGRES_BOUNDS,
    });
    this.current = client;
    client.on("notification", (msg) => {
      if (msg.channel === KEY_CHANNEL) this.deliver(msg.payload);
      else if (msg.channel === this.beatChannel) this.lastBeat = Date.now();
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${KEY_CHANNEL}`);
      await client.query(`listen ${this.beatChannel}`);
    } catch (err) {
      client.removeAllListeners("end");
      destroy(client);
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
    this.lastBeat = Date.now();
    this.beat = setInterval(() => this.pulse(client), this.heartbeat.intervalMs);
    this.beat.unref();
    this.handlers.onConnected();
    this.logger.info("key change feed connected");
  }

  /** Sends the next heartbeat, after checking that the last one came back in time. */
  private pulse(client: pg.Client): void {
    const silentMs = Date.now() - this.lastBeat;
    if (silentMs > this.heartbeat.lateMs) {
      this.logger.warn({ silentMs }, "key change feed heartbeat late; treating the feed as down");
      destroy(client);
      this.lost(client, new Error(`no heartbeat for ${silentMs} ms`));
      return;
    }
    client.query(`notify ${this.beatChannel}`).catch(() => {});
  }

  private lost(client: pg.Client, err?: unknown): void {
    // A late error or end from a connection already given up on must not start a second reconnect.
    if (client !== this.current) return;
    clearInterval(this.beat);
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
    clearInterval(this.beat);
    const client = this.client;
    this.client = undefined;
    this.current = undefined;
    this.connected = false;
    if (!client) return;
    // A polite goodbye when the server answers; cut off when it does not.
    const ended = await Promise.race([
      client.end().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 500, false).unref()),
    ]);
    if (!ended) destroy(client);
  }
}

/**
 * Closes a connection without waiting for the server: `end()` resolves only when the server closes its side,
 * which a frozen or unreachable server never does.
 */
function destroy(client: pg.Client): void {
  client.end().catch(() => {});
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
