import { errorText } from "../errors.js";

/** A dialog form's foot: the API's error in words, Cancel, and the submit button (off while it is pending). */
export function FormActions(props: {
  error: unknown;
  pending: boolean;
  submitLabel: string;
  onCancel: () => void;
}) {
  return (
    <>
      {props.error ? (
        <p role="alert" className="error">
          {errorText(props.error)}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={props.pending}>
          {props.submitLabel}
        </button>
      </div>
    </>
  );
}
