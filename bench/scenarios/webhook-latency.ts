import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { latencyStats } from "../latency.js";
import { ms } from "../report.js";
import type { Scenario } from "../scenario.js";

/**
 * Event to receiver: a webhook endpoint on a loopback HTTP server, then N keys created one after another
 * through the admin API, each waiting for its `key.created` delivery. The delay is measured from the event's
 * own `timestamp` (set in the transaction that commits it) to the request's arrival at the receiver, both on
 * this machine's clock.
 */
export const webhookLatency: Scenario = {
  id: "webhook-latency",
  title: "webhook delivery latency (event → receiver)",
  async run(ctx) {
    const count = ctx.settings.quick ? 30 : 100;
    const arrivals = new Map<string, number>();
    let wake: (() => void) | undefined;
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c;
      });
      req.on("end", () => {
        const at = Date.now();
        const event = JSON.parse(body) as { type: string; timestamp: string; data: { name?: string } };
        if (event.type === "key.created" && event.data.name)
          arrivals.set(event.data.name, at - Date.parse(event.timestamp));
        res.writeHead(204).end();
        wake?.();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const keyward = await ctx.startKeyward({
        env: { KEYWARD_WEBHOOK_ALLOW_INSECURE: "true" },
        key: { scopes: ["keys:admin"], name: "bench admin" },
      });
      const admin = (method: string, body: unknown) =>
        fetch(`http://127.0.0.1:${keyward.info.adminPort}/keyward.admin.v1.KeyAdminService/${method}`, {
          method: "POST",
          headers: { authorization: `Bearer ${keyward.info.secret}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then(async (r) => {
          if (!r.ok) throw new Error(`${method} answered ${r.status}: ${await r.text()}`);
        });
      const port = (receiver.address() as AddressInfo).port;
      await admin("CreateWebhook", {
        webhook: { url: `http://127.0.0.1:${port}/hook`, eventTypes: ["key.created"] },
      });
      const problems: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `bench-${i}`;
        const arrived = new Promise<void>((resolve) => {
          wake = () => arrivals.has(name) && resolve();
        });
        await admin("CreateKey", { name, scopes: ["x:read"] });
        const late = await Promise.race([arrived.then(() => false), sleep(5000).then(() => true)]);
        if (late) problems.push(`${name}: no delivery within 5 s`);
      }
      const stats = latencyStats([...arrivals.values()].map((v) => Math.max(0, v) * 1000));
      return {
        title: this.title,
        params: [
          ["events", String(count)],
          ["store", keyward.info.store],
        ],
        columns: ["delivered", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        rows: [[String(arrivals.size), ms(stats?.p50), ms(stats?.p90), ms(stats?.p99), ms(stats?.max)]],
        notes: [
          "delay = the event's timestamp (its transaction) → arrival at a loopback receiver; one event at a time",
          "the event timestamp has millisecond resolution, so figures under 1 ms are rounding",
        ],
        problems,
      };
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  },
};

function sleep(msToWait: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msToWait));
}
