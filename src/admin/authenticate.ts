import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { keyStanding } from "../authz/key-standing.js";
import { sourceAddress } from "../authz/source-address.js";
import type { VerifiedKey } from "../authz/verified-key.js";
import type { AppContext } from "../context.js";
import { KeyAdminService } from "../gen/keyward/admin/v1/key_admin_pb.js";
import { digestsEqual } from "../keys/hasher.js";
import { type Principal, principalKey, sourceIpKey } from "./principal.js";

/** What admin authentication needs. */
type AuthenticateDeps = Pick<AppContext, "verifier" | "localToken" | "config" | "now">;

/**
 * Authenticates every KeyAdmin call before its handler runs; health and reflection stay open. The admin key
 * passes the same status, expiry and IP checks as on the Check path, and must spell out an admin scope.
 */
export function adminAuthInterceptor(deps: AuthenticateDeps): Interceptor {
  return (next) => async (req) => {
    // A console session has already named the caller.
    if (req.service.typeName === KeyAdminService.typeName && !req.contextValues.get(principalKey)) {
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
    if (deps.config.dev) return { kind: "dev" };
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

  const source = sourceIp ? sourceAddress(sourceIp) : undefined;
  // The same budget of unknown keys as on the Check path, for the same source: a checksum-valid key that
  // does not exist costs a query here too.
  const verification = await deps.verifier.verify(credential, source?.key ?? "");
  if (verification.kind === "throttled") {
    throw new ConnectError("too many unknown keys from this address; retry later", Code.ResourceExhausted);
  }
  if (verification.kind === "malformed") throw rejected("malformed_key");
  if (verification.kind !== "key") throw rejected("invalid_key");
  return admitAdminKey(verification.key, sourceIp, deps.now());
}

/**
 * The principal a stored admin key acts as, or why it may not call the admin API: the same status, expiry and
 * IP checks as on the Check path, then an admin scope spelled out on a standard key.
 */
export function admitAdminKey(key: VerifiedKey, sourceIp: string | null, now: number): Principal {
  const standing = keyStanding(key, sourceIp ? (sourceAddress(sourceIp)?.bytes ?? null) : null, now);
  if (standing) throw rejected(standing);
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

function rejected(code: string): ConnectError {
  return new ConnectError(
    `admin key rejected: ${code}`,
    code === "ip_not_allowed" ? Code.PermissionDenied : Code.Unauthenticated,
  );
}
