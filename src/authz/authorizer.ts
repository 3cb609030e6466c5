import type { Logger } from "../logger.js";
import type { Metrics, TallyCell } from "../metrics.js";
import type { LimitResult } from "../ratelimit/gcra.js";
import type { RateLimiter } from "../ratelimit/rate-limiter.js";
import type { TrafficRecorder } from "../usage/traffic-recorder.js";
import { decide, decideVerified } from "./decide.js";
import { type Decision, deny } from "./decision.js";
import type { KeyVerifier } from "./key-verifier.js";
import { type HeaderPair, rateLimitHeaders, retryAfterSeconds } from "./rate-limit-headers.js";
import type { RequestFacts } from "./request-facts.js";
import type { Verification } from "./verification.js";
import type { VerifiedKey } from "./verified-key.js";

/** Which edge asked: ext_authz Check over gRPC, or forward auth over HTTP/1.1 or h2c. */
export type Protocol = "grpc" | "http";

/** What the pipeline concluded about one request, for a protocol edge to put into its own answer. */
export interface Verdict {
  decision: Decision;
  /** The stored key the request presented, when one matched. */
  key: VerifiedKey | undefined;
  /** Rate-limit headers for the client: empty unless a limit applied. */
  limitHeaders: readonly HeaderPair[];
}

/** Turns a verdict into a protocol's answer; called once per request, inside the timed section. */
export type Render<T> = (verdict: Verdict) => T;

/** What the pipeline depends on; passed in so tests can supply their own clock. */
export interface AuthorizerDeps {
  verifier: KeyVerifier;
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  traffic: TrafficRecorder;
  limiter: RateLimiter;
}

/** One outcome's counter cell and latency histogram child for one protocol, kept off the label lookups. */
interface Meter {
  count: TallyCell;
  latency: { observe(seconds: number): void };
}

const NO_HEADERS: readonly HeaderPair[] = Object.freeze([]);

/**
 * The one authorization pipeline every protocol shares: facts → key verification → decide → rate limit →
 * usage and audit recording → answer. Protocol edges only read their request into facts and render the
 * verdict. When the key is cached and no limiter needs Redis, everything runs synchronously: no promise, no
 * extra turn of the event loop on the hot path. Only faults (the database is down) throw or reject.
 */
export class Authorizer {
  private readonly meters: Record<Protocol, Map<string, Meter>> = { grpc: new Map(), http: new Map() };
  private readonly warned = new Set<string>();

  constructor(private readonly deps: AuthorizerDeps) {}

  /** Decides on `facts` (read by `protocol`'s edge, starting at `started`) and renders the verdict. */
  authorize<T>(facts: RequestFacts, protocol: Protocol, render: Render<T>, started: number): T | Promise<T> {
    const run = new Run(this, facts, protocol, render, started);
    if (facts.problem?.code === "unsupported_request") this.warnMisconfigured(facts.problem.message);
    if (facts.problem || facts.credential === null) {
      const now = this.deps.now();
      return run.limitAndAnswer(undefined, decide(facts, undefined, now), now);
    }
    const verification = this.deps.verifier.verify(facts.credential, facts.sourceKey ?? "");
    return verification instanceof Promise
      ? verification.then((v) => run.afterVerification(v))
      : run.afterVerification(verification);
  }

  /** @internal The collaborators a run uses. */
  get parts(): AuthorizerDeps {
    return this.deps;
  }

  /** @internal Records one verdict (metrics, usage, auth audit) and returns its outcome's meter. */
  record(run: Run<unknown>, key: VerifiedKey | undefined, decision: Decision, now: number): Meter {
    const { facts } = run;
    const outcome = decision.allow ? "allow" : decision.code;
    const meter = this.meter(run.protocol, outcome);
    meter.count.n++;
    this.deps.traffic.recordCheck(
      outcome,
      key?.id ?? null,
      decision.allow ? decision.companyId : (key?.companyId ?? null),
      facts.method,
      facts.path,
      facts.sourceAddress,
      now,
      facts.sourceKey,
    );
    if (this.deps.logger.isLevelEnabled("debug")) {
      this.deps.logger.debug({ outcome, protocol: run.protocol, keyId: key?.id, path: facts.path }, "check");
    }
    return meter;
  }

  private meter(protocol: Protocol, outcome: string): Meter {
    const byOutcome = this.meters[protocol];
    let meter = byOutcome.get(outcome);
    if (!meter) {
      meter = {
        count: this.deps.metrics.checks.cell(outcome, protocol),
        latency: this.deps.metrics.checkSeconds.cell(outcome, protocol),
      };
      byOutcome.set(outcome, meter);
    }
    return meter;
  }

  /**
   * Says once per distinct problem that a route's settings (or the proxy's configuration) cannot be used:
   * every request on that route is denied, and the operator needs to hear why without a line per request.
   */
  private warnMisconfigured(message: string | undefined): void {
    const text = message ?? "unsupported request";
    if (this.warned.has(text) || this.warned.size >= 1000) return;
    this.warned.add(text);
    this.deps.logger.warn(
      { problem: text },
      "a route's Check settings cannot be used; its requests are denied",
    );
  }
}

/** One request on its way through the pipeline. */
class Run<T> {
  constructor(
    private readonly authorizer: Authorizer,
    readonly facts: RequestFacts,
    readonly protocol: Protocol,
    private readonly render: Render<T>,
    private readonly started: number,
  ) {}

  afterVerification(verification: Verification): T | Promise<T> {
    if (verification.kind === "throttled") return this.throttled(verification);
    const key = verification.kind === "key" ? verification.key : undefined;
    const now = this.authorizer.parts.now();
    return this.limitAndAnswer(key, decideVerified(this.facts, verification, now), now);
  }

  /** The source spent its budget of unknown keys: 429 on the "unknown-keys" policy, with its headers. */
  private throttled({ spec, limit }: Extract<Verification, { kind: "throttled" }>): T {
    const headers = rateLimitHeaders(spec, limit, "unknown-keys");
    const decision = deny("rate_limited", { retryAfterSeconds: retryAfterSeconds(limit.retryAfterMs) });
    return this.answer(undefined, decision, this.authorizer.parts.now(), headers);
  }

  /** Applies the key's rate limit to an allowed request, then answers. */
  limitAndAnswer(key: VerifiedKey | undefined, decision: Decision, now: number): T | Promise<T> {
    const limiter = this.authorizer.parts.limiter;
    const spec = decision.allow && key ? limiter.policy(key.rateLimit) : null;
    if (!spec || !key) return this.answer(key, decision, now, NO_HEADERS);
    const limited = limiter.take(key.id, spec);
    const apply = (result: LimitResult) => {
      const headers = rateLimitHeaders(spec, result);
      const final = result.allowed
        ? decision
        : deny("rate_limited", { retryAfterSeconds: retryAfterSeconds(result.retryAfterMs) });
      return this.answer(key, final, now, headers);
    };
    return limited instanceof Promise ? limited.then(apply) : apply(limited);
  }

  private answer(
    key: VerifiedKey | undefined,
    decision: Decision,
    now: number,
    limitHeaders: readonly HeaderPair[],
  ): T {
    const meter = this.authorizer.record(this, key, decision, now);
    const response = this.render({ decision, key, limitHeaders });
    meter.latency.observe((performance.now() - this.started) / 1000);
    return response;
  }
}
