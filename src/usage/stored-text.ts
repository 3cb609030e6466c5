const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `raw` exactly as PostgreSQL `text` will hold it, at most `maxUnits` UTF-16 units: cut on a code-point
 * boundary (never between the halves of a surrogate pair), without NUL (which `text` cannot hold), and with
 * any lone surrogate as U+FFFD (what the UTF-8 encoder turns it into on the way). Buckets keyed by this are
 * distinct exactly when their rows are, so one batch never holds two buckets that land on one row.
 */
export function storedText(raw: string, maxUnits: number): string {
  let s = raw;
  if (s.length > maxUnits) {
    const last = s.charCodeAt(maxUnits - 1);
    // A high surrogate as the last unit kept would lose its low half to the cut: cut before it instead.
    s = s.slice(0, last >= 0xd800 && last <= 0xdbff ? maxUnits - 1 : maxUnits);
  }
  if (s.includes("\u0000")) s = s.replaceAll("\u0000", "");
  return SURROGATE.test(s) ? s.replace(LONE_SURROGATE, "\uFFFD") : s;
}
