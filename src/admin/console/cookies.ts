/** The console's session cookie. */
export const SESSION_COOKIE = "keyward_session";

/** The value of cookie `name` in a `Cookie` header, or null. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The `Set-Cookie` value that holds a session: HttpOnly so page scripts never read it, SameSite=Strict so
 * other sites never send it, Secure unless the listener is plain HTTP on loopback (a browser would refuse a
 * Secure cookie over http://127.0.0.1).
 */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    "HttpOnly",
    "SameSite=Strict",
    "Path=/",
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** The `Set-Cookie` value that makes the browser forget the session. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}
