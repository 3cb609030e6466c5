import type { CheckResponse } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Authorizer, Verdict } from "./authorizer.js";
import type { CheckRequestView } from "./check-request-view.js";
import { allowResponse, denyResponse, overwriteAll } from "./check-response.js";
import type { Deny } from "./decision.js";
import { EncodedResponses } from "./encoded-responses.js";
import { type FactOptions, factOptions, requestFacts } from "./request-facts.js";

/** An answer: a message, or one already encoded and framed as a gRPC message, once, and shared. */
export type Answer = CheckResponse | Buffer;

/** What the gRPC listener needs of the Check: an answer per request (the bench stands in a constant one). */
export type CheckAnswerer = Pick<CheckService, "check">;

/** What the Check edge depends on. */
export interface CheckDeps {
  authorizer: Authorizer;
  /** The header a request names its acting company in. */
  companyHeader: string;
}

/**
 * ext_authz Check's edge of the shared pipeline: a CheckRequest in, a CheckResponse out. A denial is a normal
 * answer; only faults (the database is down) reject, which the listener turns into an RPC error so Envoy sees
 * an outage, not a verdict.
 */
export class CheckService {
  private readonly encoded = new EncodedResponses();
  /** How requests are read: the company header, and this service's own memo of parsed route settings. */
  readonly facts: FactOptions;
  private readonly render = (verdict: Verdict): Answer => this.answer(verdict);

  constructor(private readonly deps: CheckDeps) {
    this.facts = factOptions(deps.companyHeader);
  }

  /**
   * The answer to one Check: a message, or the same message already framed when it can be shared; computed
   * synchronously when the key is cached and no limiter needs Redis.
   */
  check(req: CheckRequestView): Answer | Promise<Answer> {
    const started = performance.now();
    return this.deps.authorizer.authorize(requestFacts(req, this.facts), "grpc", this.render, started);
  }

  private answer({ decision, key, limitHeaders }: Verdict): Answer {
    if (limitHeaders.length > 0) {
      const headers = overwriteAll(limitHeaders);
      return decision.allow ? allowResponse(decision, [], headers) : denyResponse(decision, headers);
    }
    return decision.allow && key ? this.encoded.allow(key, decision) : this.encoded.deny(decision as Deny);
  }
}
