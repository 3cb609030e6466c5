import type { Violations } from "../keys/validation.js";
import type { PageTokens } from "../rpc/page-token.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** The page size asked for: 0 means the default; negative or over the maximum is a violation. */
export function pageSize(v: Violations, requested: number): number {
  if (requested < 0 || requested > MAX_PAGE_SIZE) {
    v.add("page_size", `must be between 0 and ${MAX_PAGE_SIZE}`);
    return DEFAULT_PAGE_SIZE;
  }
  return requested === 0 ? DEFAULT_PAGE_SIZE : requested;
}

/**
 * Where a page starts: the position held by `token`, which must have been issued for exactly this query
 * (`scope`) and hold `arity` values; anything else is a violation of `page_token`.
 */
export function pagePosition(
  tokens: PageTokens,
  v: Violations,
  scope: string,
  token: string,
  arity: number,
): string[] | undefined {
  if (!token) return undefined;
  const position = tokens.decode(scope, token);
  if (position?.length !== arity) {
    v.add("page_token", "is not a token from a previous page of this query");
    return undefined;
  }
  return position;
}

/** A page out of `rows` (fetched with `limit + 1`), and the token that resumes after its last row. */
export function pageOf<T>(
  tokens: PageTokens,
  scope: string,
  rows: readonly T[],
  limit: number,
  positionOf: (last: T) => string[],
): { items: T[]; nextPageToken: string } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const more = rows.length > limit && last !== undefined;
  return { items, nextPageToken: more ? tokens.encode(scope, positionOf(last)) : "" };
}
