import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api.js";
import { CreateKeyDialog } from "../components/create-key-dialog.js";
import { Pager } from "../components/pager.js";
import { RevokeAllSection } from "../components/revoke-all-dialog.js";
import { SecretDialog } from "../components/secret-dialog.js";
import { ErrorText, Loading } from "../components/status.js";
import { relativeTime } from "../format.js";
import { Link } from "../router.js";
import { companyFilter, useSession } from "../session.js";

const HYGIENE: { value: string; label: string }[] = [
  { value: "never_expires", label: "Never expires" },
  { value: "unused_90d", label: "Unused for 90 days" },
  { value: "no_ip_allowlist", label: "No IP allowlist" },
  { value: "expiring_7d", label: "Expiring within 7 days" },
];

const PAGE_SIZE = 25;

/** "1 key", "3 keys": a hygiene finding's count. */
export function keyCount(n: bigint): string {
  return `${n} key${n === 1n ? "" : "s"}`;
}

/** The keys table: filters, the hygiene strip, paging, and the create flow. */
export function KeysView() {
  const session = useSession();
  const [status, setStatus] = useState("");
  const [environment, setEnvironment] = useState("");
  const [tag, setTag] = useState("");
  const [query, setQuery] = useState("");
  const [hygiene, setHygiene] = useState("");
  const [pages, setPages] = useState<string[]>([""]);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const request = {
    companyId: companyFilter(session),
    status,
    environment,
    tag: tag.trim(),
    query: query.trim(),
    hygiene,
    countHygiene: true,
    pageSize: PAGE_SIZE,
    pageToken: pages[pages.length - 1] ?? "",
  };
  const keys = useQuery({
    queryKey: ["keys", "list", request],
    queryFn: () => api.listKeys(request),
    placeholderData: keepPreviousData,
  });
  const filtered =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPages([""]);
    };
  const now = Date.now();
  return (
    <section>
      <div className="title-row">
        <h1>API keys</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          Create key
        </button>
      </div>
      <fieldset className="hygiene">
        <legend className="visually-hidden">Key hygiene</legend>
        {HYGIENE.map((h) => {
          const count = keys.data?.hygieneCounts[h.value];
          return (
            // The count sits beside the button and describes it: the button's name stays the finding's.
            <span key={h.value} className="hygiene-item">
              <button
                type="button"
                aria-describedby={count === undefined ? undefined : `hygiene-${h.value}`}
                aria-pressed={hygiene === h.value}
                onClick={() => filtered(setHygiene)(hygiene === h.value ? "" : h.value)}
              >
                {h.label}
              </button>
              {count !== undefined && (
                <span id={`hygiene-${h.value}`} className={count > 0n ? "count count-some" : "count"}>
                  {keyCount(count)}
                </span>
              )}
            </span>
          );
        })}
      </fieldset>
      <search className="filters" aria-label="Filter keys">
        <label>
          Search
          <input type="search" value={query} onChange={(e) => filtered(setQuery)(e.target.value)} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => filtered(setStatus)(e.target.value)}>
            <option value="">Any</option>
            <option value="active">active</option>
            <option value="suspended">suspended</option>
            <option value="revoked">revoked</option>
          </select>
        </label>
        <label>
          Environment filter
          <select value={environment} onChange={(e) => filtered(setEnvironment)(e.target.value)}>
            <option value="">Any</option>
            <option value="live">live</option>
            <option value="test">test</option>
          </select>
        </label>
        <label>
          Tag
          <input value={tag} onChange={(e) => filtered(setTag)(e.target.value)} />
        </label>
      </search>
      {keys.error && <ErrorText error={keys.error} />}
      {keys.isPending && <Loading what="keys" />}
      {keys.data && keys.data.keys.length === 0 && (
        <p className="empty">No keys match. Create one with “Create key”.</p>
      )}
      {keys.data && keys.data.keys.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Hint</th>
                <th scope="col">Kind</th>
                <th scope="col">Env</th>
                <th scope="col">Status</th>
                <th scope="col">Scopes</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Requests (24 h)</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.keys.map((k) => (
                <tr key={k.id}>
                  <th scope="row">
                    <Link to={{ view: "key", id: k.id }}>{k.name || k.id}</Link>
                  </th>
                  <td>
                    <code>{k.hint}</code>
                  </td>
                  <td>{k.kind || "standard"}</td>
                  <td>{k.environment}</td>
                  <td>
                    <span className={`status status-${k.status}`}>{k.status}</span>
                    {k.leaked && <span className="leaked-marker">leaked</span>}
                  </td>
                  <td>{k.scopes.join(" ")}</td>
                  <td>
                    {relativeTime(
                      k.expireTime ? new Date(Number(k.expireTime.seconds) * 1000) : undefined,
                      now,
                    )}
                  </td>
                  <td>
                    {relativeTime(
                      k.lastUsedTime ? new Date(Number(k.lastUsedTime.seconds) * 1000) : undefined,
                      now,
                    )}
                  </td>
                  <td>
                    {String(k.requestCount24h)}
                    {k.deniedCount24h > 0n && (
                      <span className="denied"> ({String(k.deniedCount24h)} denied)</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pages={pages} onPages={setPages} nextPageToken={keys.data?.nextPageToken} />
      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setSecret(s);
          }}
        />
      )}
      {secret !== null && <SecretDialog secret={secret} onDone={() => setSecret(null)} />}
      <RevokeAllSection />
    </section>
  );
}
