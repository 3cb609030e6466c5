import type { HeaderValueOption } from "../gen/envoy/config/core/v3/base_pb.js";
import type { CheckResponse } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { LimitResult } from "../ratelimit/gcra.js";
import type { RateLimiter } from "../ratelimit/rate-limiter.js";
import type { TrafficRecorder } from "../usage/traffic-recorder.js";
import type { CheckRequestView } from "./check-request-view.js";
import { allowResponse, denyResponse } from "./check-response.js";
import { decide, decideVerified } from "./decide.js";
import { type Decision, type Deny, deny } from "./decision.js";
import { EncodedResponses } from "./encoded-responses.js";
import type { KeyVerifier } from "./key-verifier.js";
import { rateLimitHeaders, retryAfterSeconds } from "./rate-limit-headers.js";
import { type FactOptions, factOptions, type RequestFacts, requestFacts } from "./request-facts.js";
import type { Verification } from "./verification.js";
import type { VerifiedKey } from "./verified-key.js";

/** An answer: a message, or one encoded once and shared. */
export type Answer = CheckResponse | Buffer;

/** What the Check handler depends on; passed in so tests can supply their own clock. */
export interface CheckDeps {
  verifier: KeyVerifier;
  /** The header a request names its acting company in. */
  companyHeader: string;
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  traffic: TrafficRecorder;
  limiter: RateLimiter;
}

/**
 * One Check: read the request, verify the key, decide, rate-limit, record, answer. A denial is a normal
 * answer; only faults (the database is down) reject, which the listener turns into an RPC error so Envoy sees an
 * outage, not a verdict.
 */
export class CheckService {
  private readonly encoded = new EncodedResponses();
  /** How requests are read: the company header, and this service's own memo of parsed route settings. */
  readonly facts: FactOptions;
  private readonly latencies = new Map<string, { observe(seconds: number): void }>();
  private readonly warned = new Set<string>();

  constructor(private readonly deps: CheckDeps) {
    this.facts = factOptions(deps.companyHeader);
  }

  /**
   * The answer to one Check: a message, or the same message already encoded when it can be shared. When the
   * key is in the cache and no limiter needs Redis, the answer is computed synchronously: no promise, no
   * extra turn of the event loop on the hot path.
   */
  check(req: CheckRequestView): Answer | Promise<Answer> {
    const started = performance.now();
    const facts = requestFacts(req, this.facts);
    if (facts.problem?.code === "unsupported_request") this.warnMisconfigured(facts.problem.message);
    if (facts.problem || facts.credential === null) {
      const now = this.deps.now();
      return this.limitAndAnswer(facts, undefined, decide(facts, undefined, now), now, started);
    }
    const verification = this.deps.verifier.verify(facts.credential, facts.sourceKey ?? "");
    return verification instanceof Promise
      ? verification.then((v) => this.afterVerification(facts, v, started))
      : this.afterVerification(facts, verification, started);
  }

  private afterVerification(
    facts: RequestFacts,
    verification: Verification,
    started: number,
  ): Answer | Promise<Answer> {
    if (verification.kind === "throttled") return this.throttled(facts, verification, started);
    const key = verification.kind === "key" ? verification.key : undefined;
    const now = this.deps.now();
    return this.limitAndAnswer(facts, key, decideVerified(facts, verification, now), now, started);
  }

  /** The source spent its budget of unknown keys: 429 on the "unknown-keys" policy, with its headers. */
  private throttled(
    facts: RequestFacts,
    { spec, limit }: Extract<Verification, { kind: "throttled" }>,
    started: number,
  ): Answer {
    const headers = rateLimitHeaders(spec, limit, "unknown-keys");
    const decision = deny("rate_limited", { retryAfterSeconds: retryAfterSeconds(limit.retryAfterMs) });
    return this.answer(facts, undefined, decision, this.deps.now(), started, headers);
  }

  /** Applies the key's rate limit to an allowed request, then answers. */
  private limitAndAnswer(
    facts: RequestFacts,
    key: VerifiedKey | undefined,
    decision: Decision,
    now: number,
    started: number,
  ): Answer | Promise<Answer> {
    const spec = decision.allow && key ? this.deps.limiter.policy(key.rateLimit) : null;
    if (!spec || !key) return this.answer(facts, key, decision, now, started, []);
    const limited = this.deps.limiter.take(key.id, spec);
    const apply = (result: LimitResult) => {
      const headers = rateLimitHeaders(spec, result);
      const final = result.allowed
        ? decision
        : deny("rate_limited", { retryAfterSeconds: retryAfterSeconds(result.retryAfterMs) });
      return this.answer(facts, key, final, now, started, headers);
    };
    return limited instanceof Promise ? limited.then(apply) : apply(limited);
  }

  private answer(
    facts: RequestFacts,
    key: VerifiedKey | undefined,
    decision: Decision,
    now: number,
    started: number,
    limitHeaders: HeaderValueOption[],
  ): Answer {
    const outcome = this.record(facts, key, decision, now);
    let response: Answer;
    if (limitHeaders.length > 0) {
      response = decision.allow
        ? allowResponse(decision, [], limitHeaders)
        : denyResponse(decision, limitHeaders);
    } else {
      response =
        decision.allow && key ? this.encoded.allow(key, decision) : this.encoded.deny(decision as Deny);
    }
    this.latency(outcome).observe((performance.now() - started) / 1000);
    return response;
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

  /** The histogram child for one outcome, kept so the hot path does not look up labels. */
  private latency(outcome: string): { observe(seconds: number): void } {
    let child = this.latencies.get(outcome);
    if (!child) {
      child = this.deps.metrics.checkSeconds.labels(outcome);
      this.latencies.set(outcome, child);
    }
    return child;
  }

  private record(facts: RequestFacts, key: VerifiedKey | undefined, decision: Decision, now: number): string {
    const outcome = decision.allow ? "allow" : decision.code;
    this.deps.metrics.checks.cell(outcome).n++;
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
      this.deps.logger.debug({ outcome, keyId: key?.id, path: facts.path }, "check");
    }
    return outcome;
  }
}
