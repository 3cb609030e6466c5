import type { JsonReply } from "./admin-clients.js";

/** The answer to a console sign-in: the status, the `Set-Cookie` line and the `name=value` pair to send back. */
export interface SignIn {
  status: number;
  setCookie: string;
  cookie: string;
  headers: Headers;
}

/** Signs in to the console as a browser on the same origin would. */
export async function signIn(
  adminUrl: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<SignIn> {
  const res = await fetch(`${adminUrl}/console/session`, {
    method: "POST",
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", ...headers },
    body: JSON.stringify({ key }),
  });
  await res.text();
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { status: res.status, setCookie, cookie: setCookie.split(";")[0] ?? "", headers: res.headers };
}

/** A Connect JSON call riding on the session cookie, with the headers the console's own calls carry. */
export async function sessionRpc(
  adminUrl: string,
  cookie: string,
  method: string,
  body: unknown,
  headers: Record<string, string | null> = {},
): Promise<JsonReply> {
  const all: Record<string, string | null> = {
    "content-type": "application/json",
    "connect-protocol-version": "1",
    "sec-fetch-site": "same-origin",
    cookie,
    ...headers,
  };
  const res = await fetch(`${adminUrl}/keyward.admin.v1.KeyAdminService/${method}`, {
    method: "POST",
    headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null)),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text for the failure message.
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
