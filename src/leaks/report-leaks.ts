import type { Config } from "../config.js";
import { isWellFormedKey } from "../keys/format.js";
import type { KeyRecord, LeakReport, LeakReporter } from "../keys/key-record.js";
import { sharingCompanies } from "../lifecycle/audit-view.js";
import { applyKeyChange } from "../lifecycle/change-key.js";
import type { AuditFields, WriteDeps } from "../lifecycle/write-deps.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { Tx } from "../store/transaction.js";
import { keyLeakedEvent } from "../webhooks/key-events.js";

/** One reported token and where it was found. The token is only ever hashed, never kept or logged. */
export interface ReportedToken {
  token: string;
  /** Where it was found (a URL), when the reporter says. */
  url: string | null;
  /** The kind of place (GitHub's `source`: "content", "commit", …), when the reporter says. */
  source: string | null;
}

/** What reporting leaks needs: the write path, the policy, metrics and a logger. */
export interface LeakDeps extends WriteDeps {
  config: Pick<Config, "leaks">;
  metrics: Metrics;
  logger: Logger;
}

/** What happened to one reported key. */
type LeakOutcome = "revoked" | "flagged" | "unchanged";

/** A reported key and what happened to it, as the log line lists them. */
interface KeyOutcome {
  keyId: string;
  outcome: LeakOutcome;
}

/**
 * Acts on a batch of reported tokens: finds the keys among them by hash (one query for the batch), and
 * revokes or flags each per KEYWARD_LEAK_POLICY, with its audit events and webhooks, in one transaction whose
 * commit evicts the keys from every replica's cache. Answers, per token, whether it is a key Keyward issued.
 * Repeats change nothing: a revoked key stays as it is, a flagged key keeps its first report.
 */
export async function reportLeaks(
  deps: LeakDeps,
  reporter: LeakReporter,
  tokens: readonly ReportedToken[],
  sourceIp: string | null,
): Promise<boolean[]> {
  const now = new Date(deps.now());
  // Which tokens each stored hash may answer for; a token that is not even key-shaped costs no HMAC.
  const byHash = new Map<string, number[]>();
  tokens.forEach((t, i) => {
    if (!isWellFormedKey(t.token, deps.keyPrefix)) return;
    for (const { hash } of deps.hasher.candidates(t.token)) {
      const hex = hash.toString("hex");
      byHash.set(hex, [...(byHash.get(hex) ?? []), i]);
    }
  });
  const ours = tokens.map(() => false);
  if (byHash.size === 0) {
    recordReport(deps, { reporter, ours, outcomes: [], sourceIp });
    return ours;
  }
  const audit: AuditFields = { actor: `leak-report:${reporter}`, sourceIp };
  const outcomes = await deps.database.transaction(async (tx) => {
    const hashes = [...byHash.keys()].map((hex) => Buffer.from(hex, "hex"));
    const keys = await tx.leaks.findByHashesForUpdate(hashes);
    const done: KeyOutcome[] = [];
    for (const key of keys) {
      const indexes = byHash.get(Buffer.from(key.keyHash).toString("hex")) ?? [];
      for (const i of indexes) ours[i] = true;
      const first = tokens[indexes[0] ?? -1];
      const report: LeakReport = {
        time: now,
        reporter,
        url: first?.url ?? null,
        source: first?.source ?? null,
      };
      done.push({ keyId: key.id, outcome: await applyLeak(tx, key, report, deps, now, audit) });
    }
    return done;
  });
  recordReport(deps, { reporter, ours, outcomes, sourceIp });
  return ours;
}

/** Counts the report's tokens by label, and logs it: key ids and outcomes, never a token. */
function recordReport(
  deps: LeakDeps,
  report: { reporter: LeakReporter; ours: boolean[]; outcomes: KeyOutcome[]; sourceIp: string | null },
): void {
  const { reporter, ours, outcomes, sourceIp } = report;
  for (const label of ours) {
    deps.metrics.leakReports.inc({ reporter, label: label ? "true_positive" : "false_positive" });
  }
  deps.logger.info(
    { reporter, reported: ours.length, keys: outcomes, sourceIp },
    "leak report: %d token(s), %d key(s) issued here",
    ours.length,
    outcomes.length,
  );
}

async function applyLeak(
  tx: Tx,
  key: KeyRecord,
  report: LeakReport,
  deps: LeakDeps,
  now: Date,
  audit: AuditFields,
): Promise<LeakOutcome> {
  if (key.status === "revoked") return "unchanged";
  const revoke = deps.config.leaks.policy === "revoke";
  if (key.leak && !revoke) return "unchanged";
  let current = key;
  if (!key.leak) {
    current = await tx.keys.update(key.id, { leak: report }, now);
    const action = revoke ? "revoked" : "flagged";
    await tx.audit.record({
      ...audit,
      action: "key.leaked",
      keyId: key.id,
      companyId: key.companyId,
      alsoCompanies: sharingCompanies(key),
      reason: `reported by ${report.reporter}`,
      after: { reporter: report.reporter, url: report.url, source: report.source, action },
    });
    // Sent before key.revoked, but it describes the key as this transaction leaves it.
    const state: KeyRecord = revoke ? { ...current, status: "revoked" } : current;
    const event = keyLeakedEvent(state, { source: report.reporter, location: report.url, action });
    await tx.events.publish({ ...event, data: { ...event.data, found_in: report.source } }, now);
  }
  if (!revoke) return "flagged";
  const reason = `leaked: reported by ${report.reporter}`;
  await applyKeyChange(tx, current, { status: "revoked", revokeTime: now, revokeReason: reason }, now, {
    action: "key.revoke",
    audit,
    reason,
  });
  return "revoked";
}
