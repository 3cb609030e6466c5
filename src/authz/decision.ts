import type { Environment } from "../keys/format.js";

/** Why a request was denied; these strings are the `error.code` Envoy's clients see. */
export type DenyCode =
  | "missing_key"
  | "malformed_key"
  | "invalid_key"
  | "expired_key"
  | "suspended_key"
  | "revoked_key"
  | "insufficient_scope"
  | "ip_not_allowed"
  | "company_forbidden"
  | "company_required"
  | "environment_mismatch"
  | "rate_limited"
  | "unsupported_request";

/** The request may pass, acting for `companyId`. */
export interface Allow {
  allow: true;
  keyId: string;
  companyId: string;
  scopes: readonly string[];
  environment: Environment;
}

/** The request is refused. A denial is a value, never an exception. */
export interface Deny {
  allow: false;
  code: DenyCode;
  message: string;
  /** With `insufficient_scope`: what the route requires. */
  requiredScopes?: readonly string[];
  /** With `rate_limited`: seconds until a retry can pass. */
  retryAfterSeconds?: number;
}

export type Decision = Allow | Deny;

const MESSAGES: Record<DenyCode, string> = {
  missing_key: "An API key is required: send it as 'Authorization: Bearer <key>'.",
  malformed_key: "The API key is malformed.",
  invalid_key: "The API key is not valid.",
  expired_key: "The API key has expired.",
  suspended_key: "The API key is suspended.",
  revoked_key: "The API key has been revoked.",
  insufficient_scope: "The API key lacks a scope this request requires.",
  ip_not_allowed: "The API key may not be used from this IP address.",
  company_forbidden: "The API key may not act for this company.",
  company_required: "The request does not say which company it acts for.",
  environment_mismatch: "The API key's environment does not match this route.",
  rate_limited: "Too many requests for this API key.",
  unsupported_request: "The request cannot be authorized.",
};

/** A denial with the standard message for `code`. */
export function deny(code: DenyCode, extra: Partial<Omit<Deny, "allow" | "code">> = {}): Deny {
  return { allow: false, code, message: MESSAGES[code], ...extra };
}
