import { type MouseEvent, type ReactNode, useEffect, useState } from "react";

const BASE = "/console";

/** A console page, from the path after /console. */
export type Route =
  | { view: "keys" }
  | { view: "key"; id: string }
  | { view: "audit" }
  | { view: "users" }
  | { view: "webhooks" };

/** Reads a path (after the /console base) into a route; anything unknown is the keys page. */
export function parseRoute(path: string): Route {
  const rest = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  const parts = rest.split("/").filter(Boolean);
  if (parts[0] === "keys" && parts[1]) return { view: "key", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "audit") return { view: "audit" };
  if (parts[0] === "users") return { view: "users" };
  if (parts[0] === "webhooks") return { view: "webhooks" };
  return { view: "keys" };
}

/** The path of a route. Ids only: a URL never holds a secret. */
export function routePath(route: Route): string {
  switch (route.view) {
    case "key":
      return `${BASE}/keys/${encodeURIComponent(route.id)}`;
    case "keys":
      return `${BASE}/`;
    default:
      return `${BASE}/${route.view === "audit" ? "audit" : route.view}`;
  }
}

/** Moves to a route without reloading the page. */
export function navigate(route: Route): void {
  window.history.pushState(null, "", routePath(route));
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** The current route, following the address bar. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}

/** A real link (it opens in a new tab too) that moves within the app on a plain click. */
export function Link(props: { to: Route; children: ReactNode; current?: boolean; className?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a
      href={routePath(props.to)}
      onClick={onClick}
      aria-current={props.current ? "page" : undefined}
      className={props.className}
    >
      {props.children}
    </a>
  );
}
