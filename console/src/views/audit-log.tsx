import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { AuditEvent } from "../../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { api } from "../api.js";
import { Pager } from "../components/pager.js";
import { ErrorText, Loading } from "../components/status.js";
import { errorText } from "../errors.js";
import { toCsv } from "../format.js";
import { Link } from "../router.js";
import { companyFilter, useSession } from "../session.js";

const PAGE_SIZE = 50;
/** The actions the server records, for the filter. */
const AUDIT_ACTIONS = [
  "key.create",
  "key.update",
  "key.rotate",
  "key.suspend",
  "key.resume",
  "key.revoke",
  "key.detach_company",
  "user.create",
  "membership.add",
  "membership.remove",
];
/** The most events one CSV export gathers. */
const EXPORT_LIMIT = 10_000;

type Filters = { action: string; keyId: string; since: string; until: string };

function auditRequest(companyId: string, f: Filters, pageToken: string, pageSize: number) {
  return {
    companyId,
    action: f.action.trim(),
    keyId: f.keyId.trim(),
    startTime: f.since ? timestampFromDate(new Date(`${f.since}T00:00:00`)) : undefined,
    endTime: f.until ? timestampFromDate(new Date(`${f.until}T23:59:59.999`)) : undefined,
    pageSize,
    pageToken,
  };
}

function eventTime(e: AuditEvent): string {
  return e.time ? new Date(Number(e.time.seconds) * 1000 + Math.floor(e.time.nanos / 1e6)).toISOString() : "";
}

/** Audit events as CSV rows. */
export function auditCsv(events: readonly AuditEvent[]): string {
  return toCsv(
    ["time", "action", "actor", "key_id", "company_id", "reason", "source_ip", "request_id"],
    events.map((e) => [
      eventTime(e),
      e.action,
      e.actor,
      e.keyId,
      e.companyId,
      e.reason,
      e.sourceIp,
      e.requestId,
    ]),
  );
}

/** The audit log: filters, paging, and a CSV export of everything that matches. */
export function AuditLogView() {
  const session = useSession();
  const [filters, setFilters] = useState<Filters>({ action: "", keyId: "", since: "", until: "" });
  const [pages, setPages] = useState<string[]>([""]);
  const [exportError, setExportError] = useState<unknown>(null);
  const company = companyFilter(session);
  const request = auditRequest(company, filters, pages[pages.length - 1] ?? "", PAGE_SIZE);
  const events = useQuery({
    queryKey: ["audit", request],
    queryFn: () => api.listAuditEvents(request),
    placeholderData: keepPreviousData,
  });
  const set = (f: keyof Filters) => (e: { target: { value: string } }) => {
    setFilters({ ...filters, [f]: e.target.value });
    setPages([""]);
  };
  const exportCsv = async () => {
    setExportError(null);
    try {
      const all: AuditEvent[] = [];
      let token = "";
      do {
        const page = await api.listAuditEvents(auditRequest(company, filters, token, 1000));
        all.push(...page.events);
        token = page.nextPageToken;
      } while (token && all.length < EXPORT_LIMIT);
      const url = URL.createObjectURL(new Blob([auditCsv(all)], { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = "keyward-audit.csv";
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setExportError(err);
    }
  };
  return (
    <section>
      <div className="title-row">
        <h1>Audit log</h1>
        <button type="button" onClick={exportCsv}>
          Export CSV
        </button>
      </div>
      {exportError !== null && (
        <p role="alert" className="error">
          {errorText(exportError)}
        </p>
      )}
      <search className="filters" aria-label="Filter audit events">
        <div className="filter">
          <label htmlFor="audit-action">Action</label>
          <select id="audit-action" value={filters.action} onChange={set("action")}>
            <option value="">Any</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </div>
        <label>
          Key id
          <input value={filters.keyId} onChange={set("keyId")} />
        </label>
        <label>
          From
          <input type="date" value={filters.since} onChange={set("since")} />
        </label>
        <label>
          Until
          <input type="date" value={filters.until} onChange={set("until")} />
        </label>
      </search>
      {events.error && <ErrorText error={events.error} />}
      {events.isPending && <Loading what="audit events" />}
      {events.data && events.data.events.length === 0 && <p className="empty">No events match.</p>}
      {events.data && events.data.events.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Audit events</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Key</th>
                <th scope="col">Company</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {events.data.events.map((e) => (
                <tr key={e.id}>
                  <td>
                    <time dateTime={eventTime(e)}>{new Date(eventTime(e)).toLocaleString()}</time>
                  </td>
                  <td>{e.action}</td>
                  <td>
                    <code>{e.actor}</code>
                  </td>
                  <td>{e.keyId && <Link to={{ view: "key", id: e.keyId }}>{e.keyId}</Link>}</td>
                  <td>{e.companyId}</td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pages={pages} onPages={setPages} nextPageToken={events.data?.nextPageToken} />
    </section>
  );
}
