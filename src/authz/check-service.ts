import type { CheckRequest, CheckResponse } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { UsageRecorder } from "../usage/usage-recorder.js";
import { allowResponse, denyResponse } from "./check-response.js";
import { decide } from "./decide.js";
import type { Decision } from "./decision.js";
import type { KeyVerifier } from "./key-verifier.js";
import { type FactOptions, requestFacts } from "./request-facts.js";
import type { VerifiedKey } from "./verified-key.js";

/** What the Check handler depends on; passed in so tests can supply their own clock. */
export interface CheckDeps {
  verifier: KeyVerifier;
  facts: FactOptions;
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  usage: UsageRecorder;
}

/**
 * One Check: read the request, verify the key, decide, answer. A denial is a normal answer; only faults (the
 * database is down) reject, which grpc-js turns into an RPC error so Envoy sees an outage, not a verdict.
 */
export class CheckService {
  constructor(private readonly deps: CheckDeps) {}

  async check(req: CheckRequest): Promise<CheckResponse> {
    const started = performance.now();
    const decision = await this.decideRequest(req);
    this.deps.metrics.checks.inc({ outcome: decision.allow ? "allow" : decision.code });
    if (decision.allow) this.deps.usage.record(decision.keyId, this.deps.now());
    this.log(decision);
    const response = decision.allow ? allowResponse(decision) : denyResponse(decision);
    this.deps.metrics.checkSeconds.observe((performance.now() - started) / 1000);
    return response;
  }

  /** The decision for `req`, without mapping it to the wire. */
  async decideRequest(req: CheckRequest): Promise<Decision> {
    const facts = requestFacts(req, this.deps.facts);
    let key: VerifiedKey | undefined;
    if (!facts.problem && facts.credential !== null) {
      const verification = await this.deps.verifier.verify(facts.credential);
      if (verification.kind === "malformed") facts.problem = { code: "malformed_key" };
      else if (verification.kind === "key") key = verification.key;
    }
    return decide(facts, key, this.deps.now());
  }

  private log(decision: Decision): void {
    if (!this.deps.logger.isLevelEnabled("debug")) return;
    if (decision.allow)
      this.deps.logger.debug({ keyId: decision.keyId, company: decision.companyId }, "allow");
    else this.deps.logger.debug({ code: decision.code }, "deny");
  }
}
