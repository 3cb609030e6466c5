import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, signOut } from "./api.js";
import { CompanyPicker } from "./components/company-picker.js";
import { ErrorText } from "./components/status.js";
import { isSignedOut } from "./errors.js";
import { Link, type Route, useRoute } from "./router.js";
import { type Session, SessionContext } from "./session.js";
import { AuditLogView } from "./views/audit-log.js";
import { KeyPageView } from "./views/key-page.js";
import { KeysView } from "./views/keys.js";
import { SignInView } from "./views/sign-in.js";
import { UsersView } from "./views/users.js";
import { WebhooksView } from "./views/webhooks.js";

const NAV: { label: string; route: Route; views: Route["view"][] }[] = [
  { label: "Keys", route: { view: "keys" }, views: ["keys", "key"] },
  { label: "Audit log", route: { view: "audit" }, views: ["audit"] },
  { label: "Users", route: { view: "users" }, views: ["users"] },
  { label: "Webhooks", route: { view: "webhooks" }, views: ["webhooks"] },
];

/** The console: sign-in until a session exists, then the navigation and the current view. */
export function App() {
  const queryClient = useQueryClient();
  const caller = useQuery({ queryKey: ["caller"], queryFn: () => api.getCaller({}) });
  const [company, setCompany] = useState("");
  const route = useRoute();
  const session = useMemo<Session | null>(
    () =>
      caller.data
        ? { caller: caller.data, platform: caller.data.adminLevel === "platform", company, setCompany }
        : null,
    [caller.data, company],
  );

  if (caller.isPending) return <p className="loading">Loading…</p>;
  if (!session) {
    if (caller.error && !isSignedOut(caller.error)) return <ErrorText error={caller.error} />;
    return <SignInView onSignedIn={() => queryClient.invalidateQueries({ queryKey: ["caller"] })} />;
  }
  const onSignOut = async () => {
    await signOut();
    // A fresh page: nothing read during the session stays in memory.
    window.location.assign("/console/");
  };
  return (
    <SessionContext.Provider value={session}>
      <header className="top">
        <span className="brand">Keyward</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.label}>
                <Link to={n.route} current={n.views.includes(route.view)}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          {session.platform ? <CompanyPicker /> : <span>Company {session.caller.companyId}</span>}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <CurrentView route={route} />
      </main>
    </SessionContext.Provider>
  );
}

function CurrentView({ route }: { route: Route }) {
  switch (route.view) {
    case "key":
      return <KeyPageView id={route.id} />;
    case "audit":
      return <AuditLogView />;
    case "users":
      return <UsersView />;
    case "webhooks":
      return <WebhooksView />;
    default:
      return <KeysView />;
  }
}
