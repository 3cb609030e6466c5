import type { NodeHandlerFn } from "../admin/http-routes.js";

/** A request and its response on the admin listener, over HTTP/1.1 or h2c. */
export type LeakRequest = Parameters<NodeHandlerFn>[0];
export type LeakResponse = Parameters<NodeHandlerFn>[1];

/**
 * The raw body, at most `max` bytes; null when it is longer (the rest is not read). The raw bytes matter:
 * GitHub signs exactly them, so nothing may decode or re-encode the body before the signature is checked.
 */
export function readBody(req: LeakRequest, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > max) {
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.pause();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Answers with a JSON body (never anything a caller sent: no token is ever echoed). */
export function sendJson(res: LeakResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers with no body. */
export function sendEmpty(res: LeakResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "cache-control": "no-store", ...headers });
  res.end();
}

/** An error answer in Keyward's usual shape. */
export function sendError(res: LeakResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** Parses JSON, or undefined when the bytes are not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** A string field of at most `max` characters, "" when absent or null; undefined when it is anything else. */
export function optionalText(value: unknown, max: number): string | undefined {
  if (value === undefined || value === null) return "";
  return typeof value === "string" && value.length <= max && !value.includes("\0") ? value : undefined;
}
