import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { QueryClient } from "@tanstack/react-query";
import { KeyAdminService } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";

/** The only place that knows URLs: the admin API and the session endpoint, on this page's own origin. */
const ORIGIN = window.location.origin;
const SESSION_URL = `${ORIGIN}/console/session`;

/**
 * KeyAdmin over Connect JSON, riding on the session cookie. Connect calls carry `connect-protocol-version: 1`,
 * which the server requires of cookie calls (a plain cross-site form cannot send it).
 */
export const api = createClient(
  KeyAdminService,
  createConnectTransport({
    baseUrl: ORIGIN,
    fetch: (input, init) => fetch(input, { ...init, credentials: "same-origin" }),
  }),
);

/** Server state lives here and only here. */
export const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 } },
});

/** Why a sign-in failed, in words, or null when it worked. */
export async function signIn(key: string): Promise<string | null> {
  const res = await fetch(SESSION_URL, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key }),
  });
  if (res.ok) return null;
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  return signInProblem(res.status, body.error?.message ?? "", Number(res.headers.get("retry-after") ?? 0));
}

/** Ends the session and forgets everything read with it. */
export async function signOut(): Promise<void> {
  await fetch(SESSION_URL, { method: "DELETE", credentials: "same-origin" }).catch(() => undefined);
  queryClient.clear();
}

/** A sign-in refusal as a sentence a person can act on. */
export function signInProblem(status: number, message: string, retryAfterSeconds = 0): string {
  if (status === 401) {
    if (message.includes("neither keys:admin"))
      return "That key is not an admin key: it holds neither keys:admin nor platform:admin.";
    if (message.includes("revoked")) return "That key has been revoked.";
    if (message.includes("suspended")) return "That key is suspended.";
    if (message.includes("expired")) return "That key has expired.";
    return "That key was not accepted. Check that you pasted the whole admin key.";
  }
  if (status === 400) return "Paste an admin key first.";
  if (status === 403) return "The sign-in was refused as coming from another site.";
  if (status === 429) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    return `Too many failed sign-ins from your address. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  }
  return "The server could not sign you in right now. Try again.";
}
