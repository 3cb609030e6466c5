import type { AuditEntry } from "../store/audit-repository.js";
import type { MembershipRecord, UserRecord } from "../store/user-repository.js";
import type { AuditFields, WriteDeps } from "./write-deps.js";

/** A user to create, with its membership of its default company. */
export interface CreateUserOptions {
  user: Pick<UserRecord, "id" | "name" | "defaultCompanyId">;
  audit: AuditFields;
}

/** A user and its default membership, audited together; undefined when the id is taken. */
export function createUser(
  deps: WriteDeps,
  { user, audit }: CreateUserOptions,
): Promise<UserRecord | undefined> {
  const now = new Date(deps.now());
  const record: UserRecord = { ...user, createTime: now, updateTime: now };
  return deps.database.transaction(async (tx) => {
    if (!(await tx.users.insert(record))) return undefined;
    // The default company grants its own user's tokens everything; other companies grant what they choose.
    await tx.users.addMembership(record, record.defaultCompanyId, ["*"], now);
    const base = { ...audit, keyId: null, companyId: record.defaultCompanyId, userId: record.id };
    await tx.audit.record({
      ...base,
      action: "user.create",
      after: { name: record.name, default_company_id: record.defaultCompanyId },
    });
    await tx.audit.record({
      ...base,
      action: "membership.add",
      after: { company_id: record.defaultCompanyId, scopes: ["*"] },
    });
    return record;
  });
}

/** A membership to add or remove. */
export interface MembershipOptions {
  userId: string;
  companyId: string;
  audit: AuditFields;
}

/** A membership to add: what the user's tokens may do when acting for the company. */
export interface AddMembershipOptions extends MembershipOptions {
  scopes: readonly string[];
}

/** How adding a membership went. */
export type AddMembershipOutcome =
  | { kind: "added"; membership: MembershipRecord }
  | { kind: "no_user" }
  | { kind: "exists" };

/**
 * The user's tokens may act for the company from now on, with at most `scopes` there. Filed under the
 * company and the user's default company; the user's tokens leave the caches once it commits.
 */
export function addMembership(deps: WriteDeps, options: AddMembershipOptions): Promise<AddMembershipOutcome> {
  const now = new Date(deps.now());
  return deps.database.transaction(async (tx): Promise<AddMembershipOutcome> => {
    const user = await tx.users.find(options.userId);
    if (!user) return { kind: "no_user" };
    const membership = await tx.users.addMembership(user, options.companyId, options.scopes, now);
    if (!membership) return { kind: "exists" };
    await tx.audit.record(membershipEvent(options, user, "membership.add"));
    await tx.keys.userTokensChanged(user.id);
    return { kind: "added", membership };
  });
}

/**
 * The user's tokens stop acting for the company; false when there was no such membership. Other replicas
 * hear of it through the memberships trigger on the key change feed, exactly like a revocation.
 */
export function removeMembership(deps: WriteDeps, options: MembershipOptions): Promise<boolean> {
  return deps.database.transaction(async (tx) => {
    const user = await tx.users.find(options.userId);
    const removed = user ? await tx.users.removeMembership(user.id, options.companyId) : false;
    if (!user || !removed) return false;
    await tx.audit.record(membershipEvent(options, user, "membership.remove"));
    await tx.keys.userTokensChanged(user.id);
    return true;
  });
}

/** A membership's audit event, filed under the company and the user's default company. */
function membershipEvent(
  options: MembershipOptions & { scopes?: readonly string[] },
  user: UserRecord,
  action: "membership.add" | "membership.remove",
): AuditEntry {
  // An added membership records the scopes its company granted.
  const membership =
    options.scopes === undefined
      ? { company_id: options.companyId }
      : { company_id: options.companyId, scopes: [...options.scopes] };
  return {
    ...options.audit,
    action,
    keyId: null,
    companyId: options.companyId,
    alsoCompanies: [user.defaultCompanyId],
    userId: user.id,
    ...(action === "membership.add" ? { after: membership } : { before: membership }),
  };
}
