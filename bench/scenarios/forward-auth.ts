import { BENCH_ROUTE } from "../check-request.js";
import { type Measurement, measure, roundUp, warmUp } from "../measure.js";
import { MEASUREMENT_COLUMNS, measurementRow, ratio } from "../report.js";
import type { Scenario, Target } from "../scenario.js";

/** Forward auth beside Check at the same concurrency, kept for the summary. */
export interface ForwardAuthFigures {
  check: Measurement;
  forward: Measurement;
}

export const FORWARD_AUTH = "forward-auth";

/** The original request as a forward-auth proxy describes it: the bench Check's request, header for header. */
const ORIGINAL_URI = "/v1/companies/acme/candidates?status=open&page_size=50&sort=-updated_at";

/**
 * Keyward's HTTP forward auth (`/authz/forward`, as Traefik and Caddy ask it) under HTTP/1.1 keep-alive
 * load, beside its gRPC Check on the same server with the same key and route, at the same number of
 * requests in flight: one per connection for HTTP/1.1 (proxies do not pipeline), `-c × -m` for Check.
 */
export const forwardAuth: Scenario = {
  id: FORWARD_AUTH,
  title: "forward auth: HTTP/1.1 keep-alive /authz/forward vs gRPC Check, same server",
  async run(ctx) {
    const { settings } = ctx;
    const targets = await ctx.checkTargets();
    const server = targets.keywardServer;
    const authzPort = new URL(targets.keyward.url).port;
    const query = new URLSearchParams(BENCH_ROUTE).toString();
    const inFlight = settings.clients * settings.streams;
    const forward: Target = {
      name: "keyward-forward-http1",
      url: `http://127.0.0.1:${authzPort}/authz/forward?${query}`,
      bodyFile: targets.keyward.bodyFile,
      adminPort: targets.keyward.adminPort,
      server,
      http1Headers: [
        `authorization: Bearer ${server.info.secret}`,
        "x-forwarded-method: GET",
        `x-forwarded-uri: ${ORIGINAL_URI}`,
        "x-forwarded-host: api.example.com",
        "x-forwarded-proto: https",
        "x-forwarded-for: 203.0.113.7",
      ],
      load: { clients: inFlight, streams: 1 },
    };
    const warm = { check: await warmUp(ctx, targets.keyward), forward: await warmUp(ctx, forward) };
    const slower = Math.max(1, Math.min(warm.check, warm.forward));
    const requests = roundUp(
      Math.min(settings.maxRequests, Math.max(settings.minRequests, slower * settings.maxRunSec)),
      inFlight,
    );
    const rounds: ForwardAuthFigures[] = [];
    for (let round = 0; round < settings.maxRounds; round++) {
      const check = await measure(ctx, targets.keyward, { requests, expectedSec: requests / warm.check });
      const fwd = await measure(ctx, forward, { requests, expectedSec: requests / warm.forward });
      rounds.push({ check: { ...check, target: "keyward-check-grpc" }, forward: fwd });
    }
    const best = (runs: Measurement[]) => runs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    const figures: ForwardAuthFigures = {
      check: best(rounds.map((r) => r.check)),
      forward: best(rounds.map((r) => r.forward)),
    };
    ctx.results.set(FORWARD_AUTH, figures);
    const { check, forward: fwd } = figures;
    return {
      title: this.title,
      params: [
        ["n", String(requests)],
        ["check", `-c ${settings.clients} -m ${settings.streams}`],
        ["forward", `--h1 -c ${inFlight} -m 1`],
        ["rounds", `${settings.maxRounds} alternating, best kept`],
      ],
      columns: MEASUREMENT_COLUMNS,
      rows: [check, fwd].map(measurementRow),
      notes: [
        `forward/check: throughput ${ratio(fwd.reqPerSec, check.reqPerSec)}, p50 ${ratio(fwd.latency?.p50, check.latency?.p50)}, p99 ${ratio(fwd.latency?.p99, check.latency?.p99)}, cpu per request ${ratio(fwd.cpuUsPerRequest, check.cpuUsPerRequest)}`,
        "both decide the same key on the same route (scopes, company from the path) through the same pipeline; every answer is checked to be an allow from the protocol's own outcome counter",
      ],
      problems: rounds
        .flatMap((r) => [r.check.problem, r.forward.problem])
        .filter((p): p is string => p !== null),
    };
  },
};
