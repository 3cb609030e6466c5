import type { Key } from "../../../src/gen/keyward/admin/v1/key_pb.js";

const REPORTERS: Record<string, string> = {
  github: "GitHub secret scanning",
  gitlab: "GitLab",
  self: "someone holding the key",
};

/** Who reported a leak, in words. */
export function reporterText(reporter: string): string {
  return REPORTERS[reporter] ?? reporter;
}

/**
 * A leaked key's banner: who reported it, when and where it was found, and what to do. Under the `notify`
 * policy a reported key still works, and this banner is what says it must be replaced. The place is shown
 * as text, never as a link: it comes from outside.
 */
export function LeakBanner({ k }: { k: Key }) {
  if (!k.leaked) return null;
  const report = k.leakReport;
  const when = report?.reportTime ? new Date(Number(report.reportTime.seconds) * 1000) : undefined;
  return (
    <section className="leak-banner" aria-labelledby="leak-title">
      <h2 id="leak-title">Leaked key</h2>
      <p>
        Reported leaked by {reporterText(report?.reporter ?? "")}
        {when && (
          <>
            {" "}
            on <time dateTime={when.toISOString()}>{when.toLocaleString()}</time>
          </>
        )}
        .
        {report?.url && (
          <>
            {" "}
            Found at <code>{report.url}</code>
            {report.source && <> ({report.source})</>}.
          </>
        )}
      </p>
      <p>
        {k.status === "revoked"
          ? "It has been revoked: every request with it is refused. Give its users a new key."
          : "It still works. Rotate it with no grace period, or revoke it, and check its recent use below."}
      </p>
    </section>
  );
}
