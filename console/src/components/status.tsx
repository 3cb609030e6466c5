import { errorText } from "../errors.js";

/** An API error in words, announced to screen readers. */
export function ErrorText({ error }: { error: unknown }) {
  return (
    <p role="alert" className="error">
      {errorText(error)}
    </p>
  );
}

/** A loading line. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" aria-live="polite">
      Loading {what}…
    </p>
  );
}
