import type { Violations } from "../keys/validation.js";

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
