import type { HeaderValueOption } from "../gen/envoy/config/core/v3/base_pb.js";
import type { CheckRequest, CheckResponse } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { RateLimiter } from "../ratelimit/rate-limiter.js";
import type { TrafficRecorder } from "../usage/traffic-recorder.js";
import { allowResponse, denyResponse } from "./check-response.js";
import { decide } from "./decide.js";
import { type Decision, type Deny, deny } from "./decision.js";
import { EncodedResponses } from "./encoded-responses.js";
import type { KeyVerifier } from "./key-verifier.js";
import { rateLimitHeaders } from "./rate-limit-headers.js";
import { type FactOptions, type RequestFacts, requestFacts } from "./request-facts.js";
import type { VerifiedKey } from "./verified-key.js";

/** What the Check handler depends on; passed in so tests can supply their own clock. */
export interface CheckDeps {
  verifier: KeyVerifier;
  facts: FactOptions;
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  traffic: TrafficRecorder;
  limiter: RateLimiter;
}

/**
 * One Check: read the request, verify the key, decide, rate-limit, record, answer. A denial is a normal
 * answer; only faults (the database is down) reject, which grpc-js turns into an RPC error so Envoy sees an
 * outage, not a verdict.
 */
export class CheckService {
  private readonly outcomes = new Map<string, { inc(): void }>();
  private readonly encoded = new EncodedResponses();

  constructor(private readonly deps: CheckDeps) {}

  /** The answer to one Check: a message, or the same message already encoded when it can be shared. */
  async check(req: CheckRequest): Promise<CheckResponse | Buffer> {
    const started = performance.now();
    const facts = requestFacts(req, this.deps.facts);
    const key = await this.verify(facts);
    const now = this.deps.now();
    let decision = decide(facts, key, now);
    let limitHeaders: HeaderValueOption[] = [];
    if (decision.allow && key) {
      const spec = this.deps.limiter.policy(key.rateLimit);
      if (spec) {
        const result = await this.deps.limiter.take(key.id, spec);
        limitHeaders = rateLimitHeaders(spec, result);
        if (!result.allowed) {
          decision = deny("rate_limited", {
            retryAfterSeconds: Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
          });
        }
      }
    }
    this.record(facts, key, decision, now);
    let response: CheckResponse | Buffer;
    if (limitHeaders.length > 0) {
      response = decision.allow
        ? allowResponse(decision, [], limitHeaders)
        : denyResponse(decision, limitHeaders);
    } else {
      response =
        decision.allow && key ? this.encoded.allow(key, decision) : this.encoded.deny(decision as Deny);
    }
    this.deps.metrics.checkSeconds.observe((performance.now() - started) / 1000);
    return response;
  }

  /** The key the request presents; marks the facts malformed when the credential fails offline checks. */
  private async verify(facts: RequestFacts): Promise<VerifiedKey | undefined> {
    if (facts.problem || facts.credential === null) return undefined;
    const verification = await this.deps.verifier.verify(facts.credential);
    if (verification.kind === "malformed") facts.problem = { code: "malformed_key" };
    return verification.kind === "key" ? verification.key : undefined;
  }

  private record(facts: RequestFacts, key: VerifiedKey | undefined, decision: Decision, now: number): void {
    const outcome = decision.allow ? "allow" : decision.code;
    let counter = this.outcomes.get(outcome);
    if (!counter) {
      counter = this.deps.metrics.checks.labels(outcome);
      this.outcomes.set(outcome, counter);
    }
    counter.inc();
    this.deps.traffic.record({
      outcome,
      keyId: key?.id ?? null,
      companyId: decision.allow ? decision.companyId : (key?.companyId ?? null),
      method: facts.method,
      path: facts.path,
      sourceIp: facts.sourceAddress,
      now,
    });
    if (this.deps.logger.isLevelEnabled("debug")) {
      this.deps.logger.debug({ outcome, keyId: key?.id, path: facts.path }, "check");
    }
  }
}
