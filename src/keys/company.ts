/** Company ids: what may name a tenant in a path segment, a header and the store alike. */
export const COMPANY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Whether `id` is a well-formed company id. */
export function isCompanyId(id: string): boolean {
  return COMPANY_ID_PATTERN.test(id);
}
