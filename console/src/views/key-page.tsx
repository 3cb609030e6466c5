import { useQuery } from "@tanstack/react-query";
import type { Key } from "../../../src/gen/keyward/admin/v1/key_pb.js";
import { api } from "../api.js";
import { KeyActions } from "../components/key-actions.js";
import { KeySettings } from "../components/key-settings.js";
import { LeakBanner } from "../components/leak-banner.js";
import { ErrorText, Loading } from "../components/status.js";
import { UsageChart } from "../components/usage-chart.js";
import { percent, relativeTime } from "../format.js";
import { Link } from "../router.js";

/** One key: its settings (editable in place), its usage, its audit trail, and its lifecycle actions. */
export function KeyPageView({ id }: { id: string }) {
  const key = useQuery({ queryKey: ["keys", "one", id], queryFn: () => api.getKey({ keyId: id }) });
  if (key.isPending) return <Loading what="the key" />;
  if (key.error) return <ErrorText error={key.error} />;
  const k = key.data;
  return (
    <article>
      <p>
        <Link to={{ view: "keys" }}>← All keys</Link>
      </p>
      <div className="title-row">
        <h1>{k.name || k.id}</h1>
        <span className={`status status-${k.status}`}>{k.status}</span>
      </div>
      <LeakBanner k={k} />
      <KeySummary k={k} />
      <KeyActions k={k} />
      <KeySettings key={k.id} k={k} />
      <KeyUsageSection id={k.id} />
      <KeyAuditSection id={k.id} />
    </article>
  );
}

function KeySummary({ k }: { k: Key }) {
  const now = Date.now();
  const time = (t: Key["createTime"]) => (t ? new Date(Number(t.seconds) * 1000) : undefined);
  return (
    <dl className="summary">
      <dt>Id</dt>
      <dd>
        <code>{k.id}</code>
      </dd>
      <dt>Hint</dt>
      <dd>
        <code>{k.hint}</code>
      </dd>
      <dt>Company</dt>
      <dd>{k.companyId}</dd>
      <dt>Environment</dt>
      <dd>{k.environment}</dd>
      <dt>Created</dt>
      <dd>{relativeTime(time(k.createTime), now)}</dd>
      <dt>Last used</dt>
      <dd>{relativeTime(time(k.lastUsedTime), now)}</dd>
      {k.rotatedToKeyId && (
        <>
          <dt>Replaced by</dt>
          <dd>
            <Link to={{ view: "key", id: k.rotatedToKeyId }}>{k.rotatedToKeyId}</Link>
          </dd>
        </>
      )}
      {(k.revokeReason || k.suspendReason) && (
        <>
          <dt>Reason</dt>
          <dd>{k.revokeReason || k.suspendReason}</dd>
        </>
      )}
    </dl>
  );
}

function KeyUsageSection({ id }: { id: string }) {
  const usage = useQuery({ queryKey: ["keys", "usage", id], queryFn: () => api.getKeyUsage({ keyId: id }) });
  const sources = useQuery({
    queryKey: ["keys", "sources", id],
    queryFn: () => api.listAuthEvents({ keyId: id, pageSize: 50 }),
  });
  const addresses = [
    ...new Set(
      (sources.data?.events ?? []).flatMap((e) => (e.sourceIps.length ? e.sourceIps : [e.sourceIp])),
    ),
  ]
    .filter(Boolean)
    .slice(0, 10);
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage in the last 24 hours</h2>
      {usage.isPending && <Loading what="usage" />}
      {usage.error && <ErrorText error={usage.error} />}
      {usage.data && (
        <>
          <p>
            {String(usage.data.requestCount)} allowed, {String(usage.data.deniedCount)} denied; error rate{" "}
            {percent(
              Number(usage.data.deniedCount),
              Number(usage.data.requestCount + usage.data.deniedCount),
            )}
            .
          </p>
          <UsageChart buckets={usage.data.buckets} granularity={usage.data.granularity} />
          <h3>Top endpoints</h3>
          {usage.data.topEndpoints.length === 0 ? (
            <p className="empty">No requests yet.</p>
          ) : (
            <ul>
              {usage.data.topEndpoints.map((e) => (
                <li key={`${e.method} ${e.path}`}>
                  <code>
                    {e.method} {e.path}
                  </code>{" "}
                  — {String(e.requestCount)}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h3>Recent source addresses</h3>
      {sources.error && <ErrorText error={sources.error} />}
      {addresses.length === 0 ? (
        <p className="empty">None recorded.</p>
      ) : (
        <ul>
          {addresses.map((a) => (
            <li key={a}>
              <code>{a}</code>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function KeyAuditSection({ id }: { id: string }) {
  const events = useQuery({
    queryKey: ["keys", "audit", id],
    queryFn: () => api.listAuditEvents({ keyId: id, pageSize: 50 }),
  });
  return (
    <section aria-labelledby="key-audit-title">
      <h2 id="key-audit-title">Audit events</h2>
      {events.error && <ErrorText error={events.error} />}
      {events.data && events.data.events.length === 0 && <p className="empty">No events.</p>}
      {events.data && events.data.events.length > 0 && (
        <ul className="events">
          {events.data.events.map((e) => (
            <li key={e.id}>
              <time dateTime={e.time ? new Date(Number(e.time.seconds) * 1000).toISOString() : undefined}>
                {e.time ? new Date(Number(e.time.seconds) * 1000).toLocaleString() : ""}
              </time>{" "}
              <strong>{e.action}</strong> by {e.actor}
              {e.reason && <> — {e.reason}</>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
