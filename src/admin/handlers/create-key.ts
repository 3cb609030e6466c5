import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type CreateKeyRequest,
  type CreateKeyResponse,
  CreateKeyResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Environment } from "../../keys/format.js";
import type { KeySpec } from "../../keys/mint.js";
import { Violations } from "../../keys/validation.js";
import { createKey } from "../../lifecycle/create-key.js";
import { keySpecViolations } from "../../lifecycle/key-spec.js";
import { callerOf } from "../caller.js";
import { invalidArgument } from "../errors.js";
import { applyKind } from "../key-kind.js";
import { keyResource } from "../key-resource.js";
import type { Principal } from "../principal.js";
import { checkGrant, expiryInput, rateLimitInput } from "../request-input.js";

/** CreateKey: a new key and its one-time secret. */
export function createKeyHandler(ctx: AppContext) {
  return async (req: CreateKeyRequest, hctx: HandlerContext): Promise<CreateKeyResponse> => {
    const caller = callerOf(hctx);
    const now = ctx.now();
    const v = new Violations();
    const spec = specFromRequest(req, caller.principal, now, v);
    const input = {
      kind: req.kind,
      companyIds: req.companyIds,
      userId: req.userId,
      companyNamed: req.companyId !== "",
    };
    await applyKind(ctx, input, spec, caller.principal, v);
    const violations = [...v.list, ...keySpecViolations(spec, now)];
    if (violations.length > 0) throw invalidArgument(violations);
    checkGrant(caller.principal, spec.companyId, spec.scopes);
    const { key, secret } = await createKey(ctx, { spec, audit: caller.audit });
    return create(CreateKeyResponseSchema, { key: keyResource(key), secret });
  };
}

function specFromRequest(req: CreateKeyRequest, principal: Principal, now: number, v: Violations): KeySpec {
  return {
    // A company admin may leave company_id empty: its own company is meant.
    companyId: req.companyId || (principal.kind === "key" && !principal.platform ? principal.companyId : ""),
    name: req.name,
    scopes: req.scopes,
    environment: (req.environment || "live") as Environment,
    expireTime: expiryInput(v, req.expireTime, req.ttl, now),
    ipAllowlist: req.ipAllowlist,
    metadata: req.metadata,
    tags: req.tags,
    rateLimit: rateLimitInput(v, "rate_limit", req.rateLimit),
  };
}
