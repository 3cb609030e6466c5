import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { isPublicAddress } from "./address-rules.js";

/** One HTTP attempt's result, as the worker judges it. */
export type SendOutcome =
  | { kind: "success"; status: number }
  | { kind: "gone"; status: 410 }
  | { kind: "failure"; status: number | null; error: string; retryAfter: string | undefined };

/** What one attempt sends. */
export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Allows private and loopback targets (KEYWARD_WEBHOOK_ALLOW_INSECURE). */
  allowInsecure: boolean;
  /** Aborts the attempt (shutdown). */
  signal?: AbortSignal | undefined;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one delivery. Redirects are answered as failures, never followed; the whole attempt (DNS, connect,
 * answer) is bounded by `timeoutMs`. Unless insecure targets are allowed, the host name is resolved here and
 * the connection goes to an address checked to be public, so DNS cannot point an approved name inside.
 */
export function sendRequest(req: SendRequest): Promise<SendOutcome> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      resolve(failure(null, "the URL is not valid"));
      return;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (!req.allowInsecure && isIP(host) !== 0 && !isPublicAddress(host)) {
      resolve(failure(null, "the target is not a public address"));
      return;
    }
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(url, {
      method: "POST",
      headers: { ...req.headers, "content-length": Buffer.byteLength(req.body).toString() },
      agent: false,
      signal: req.signal,
      lookup: req.allowInsecure ? undefined : publicLookup,
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    request.on("error", (err) => {
      clearTimeout(timer);
      resolve(failure(null, err.message.slice(0, 500)));
    });
    request.on("response", (res) => {
      let read = 0;
      // The body is drained (so the socket ends cleanly) but not kept: receivers' answers are not ours to store.
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      res.on("close", () => {
        clearTimeout(timer);
        resolve(judge(res.statusCode ?? 0, res.headers["retry-after"]));
      });
    });
    request.end(req.body);
  });
}

function judge(status: number, retryAfter: string | string[] | undefined): SendOutcome {
  if (status >= 200 && status < 300) return { kind: "success", status };
  if (status === 410) return { kind: "gone", status };
  const error = status >= 300 && status < 400 ? "redirect not followed" : `HTTP ${status}`;
  return failure(status, error, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
}

function failure(status: number | null, error: string, retryAfter?: string): SendOutcome {
  return { kind: "failure", status, error, retryAfter };
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup that answers only public addresses, and fails when the name has none. */
function publicLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (err, addresses) => {
    if (err) {
      callback(err, []);
      return;
    }
    const allowed = addresses.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0 || allowed.length !== addresses.length) {
      const refused = Object.assign(new Error(`${hostname} resolves to a non-public address`), {
        code: "ENOTPUBLIC",
      });
      callback(refused, []);
      return;
    }
    if (options.all) callback(null, allowed);
    else callback(null, (allowed[0] as LookupAddress).address, (allowed[0] as LookupAddress).family);
  });
}
