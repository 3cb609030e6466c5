/** Reads request headers, whatever their container. */
export type HeaderLookup = (name: string) => string | null | undefined;

/**
 * Why a request riding on the session cookie must be refused as possibly cross-site, or null when it may
 * pass. Browsers say where a request comes from in `Sec-Fetch-Site`; older ones send `Origin`, which must
 * then name this very host. A cross-origin page cannot send the custom headers required of RPCs without a
 * CORS preflight this server never grants.
 */
export function crossSiteProblem(header: HeaderLookup): string | null {
  const site = header("sec-fetch-site");
  if (site) return site === "same-origin" || site === "none" ? null : `a ${site} request`;
  const origin = header("origin");
  if (!origin) return null;
  const host = header("host");
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return "an unreadable Origin";
  }
  return host && originHost === host.toLowerCase() ? null : "a request from another origin";
}

/** Whether an RPC says it is one, as a plain HTML form or image cannot. */
export function isRpcRequest(header: HeaderLookup): boolean {
  if (header("connect-protocol-version") === "1") return true;
  return (header("content-type") ?? "").toLowerCase().startsWith("application/grpc-web");
}
