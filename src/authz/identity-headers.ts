/** Headers Keyward sets for the upstream; a client-sent copy is overwritten, never trusted. */
export const IDENTITY_HEADERS = {
  keyId: "x-keyward-key-id",
  companyId: "x-keyward-company-id",
  scopes: "x-keyward-scopes",
  environment: "x-keyward-environment",
} as const;

/** Headers that carry the secret: removed so the key never reaches the upstream. */
export const SECRET_HEADERS = ["authorization", "x-api-key"];
