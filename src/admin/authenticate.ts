import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { parseAddress } from "../authz/cidr.js";
import { decide } from "../authz/decide.js";
import type { KeyVerifier } from "../authz/key-verifier.js";
import type { RequestFacts } from "../authz/request-facts.js";
import { KeyAdminService } from "../gen/keyward/admin/v1/key_admin_pb.js";
import { digestsEqual } from "../keys/hasher.js";
import { type Principal, principalKey, sourceIpKey } from "./principal.js";

/** What admin authentication needs. */
export interface AuthenticateDeps {
  verifier: KeyVerifier;
  /** The local CLI credential, when the server keeps one. */
  localToken: string | null;
  dev: boolean;
  now: () => number;
}

/**
 * Authenticates every KeyAdmin call before its handler runs; health and reflection stay open. The admin key
 * passes the same status, expiry and IP checks as on the Check path, and must spell out an admin scope.
 */
export function adminAuthInterceptor(deps: AuthenticateDeps): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === KeyAdminService.typeName) {
      const principal = await authenticate(
        deps,
        req.header.get("authorization"),
        req.contextValues.get(sourceIpKey),
      );
      req.contextValues.set(principalKey, principal);
    }
    return next(req);
  };
}

async function authenticate(
  deps: AuthenticateDeps,
  header: string | null,
  sourceIp: string | null,
): Promise<Principal> {
  if (header === null) {
    if (deps.dev) return { kind: "dev" };
    throw new ConnectError(
      "the admin API requires 'Authorization: Bearer <admin key>'",
      Code.Unauthenticated,
    );
  }
  const match = /^bearer +(\S{1,512})$/i.exec(header.trim());
  if (!match) throw new ConnectError("malformed authorization header", Code.Unauthenticated);
  const credential = match[1] as string;
  if (deps.localToken && digestsEqual(Buffer.from(credential), Buffer.from(deps.localToken)))
    return { kind: "cli" };

  const verification = await deps.verifier.verify(credential);
  const facts: RequestFacts = {
    problem: verification.kind === "malformed" ? { code: "malformed_key" } : null,
    credential,
    sourceIp: sourceIp ? (parseAddress(sourceIp) ?? null) : null,
    sourceAddress: sourceIp,
    method: "",
    path: "",
    companySelector: null,
    routeCompany: undefined,
    route: { scopes: [], companyFrom: null, environment: null },
    requestId: "",
  };
  const key = verification.kind === "key" ? verification.key : undefined;
  const decision = decide(facts, key, deps.now());
  if (!decision.allow || !key) {
    const code = decision.allow ? "invalid_key" : decision.code;
    throw new ConnectError(
      `admin key rejected: ${code}`,
      code === "ip_not_allowed" ? Code.PermissionDenied : Code.Unauthenticated,
    );
  }
  // Admin scopes are reserved: only an exact grant counts, never a wildcard, and only on a standard key (a
  // credential that acts for many companies administers none of them, however its row was written).
  if (key.kind !== "standard") {
    throw new ConnectError("only standard keys can call the admin API", Code.PermissionDenied);
  }
  const platform = key.scopes.includes("platform:admin");
  if (!platform && !key.scopes.includes("keys:admin")) {
    throw new ConnectError("the key holds neither keys:admin nor platform:admin", Code.PermissionDenied);
  }
  return { kind: "key", keyId: key.id, companyId: key.companyId, platform };
}
