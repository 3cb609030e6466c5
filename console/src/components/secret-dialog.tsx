import { useRef, useState } from "react";
import { Dialog } from "./dialog.js";

const KEY_SECRET = { title: "Copy your key", label: "Secret key", thing: "key" };
const WEBHOOK_SECRET = { title: "Copy your signing secret", label: "Signing secret", thing: "secret" };

/**
 * Shows a new key (or a webhook's signing secret) once. The secret lives only in the owner's state: closing this dialog drops it, and it is
 * never written to storage or to a URL. Closing before copying asks once more.
 */
export function SecretDialog(props: { secret: string; onDone: () => void; webhook?: boolean }) {
  const what = props.webhook ? WEBHOOK_SECRET : KEY_SECRET;
  const [copied, setCopied] = useState(false);
  const [warned, setWarned] = useState(false);
  const box = useRef<HTMLInputElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
    } catch {
      // Without clipboard permission, select the text so the person can copy it by hand.
      box.current?.select();
    }
    setCopied(true);
  };
  const done = () => {
    if (!copied && !warned) {
      setWarned(true);
      return;
    }
    props.onDone();
  };
  return (
    <Dialog title={what.title} onClose={done}>
      <p>
        This is the only time the {what.thing} is shown. Store it somewhere safe, such as a secret manager.
      </p>
      <div className="field">
        <label htmlFor="secret-key">{what.label}</label>
        <div className="copy-row">
          <input
            id="secret-key"
            ref={box}
            className="secret"
            readOnly
            value={props.secret}
            autoComplete="off"
            spellCheck={false}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={copy}>
            Copy
          </button>
        </div>
        {copied && (
          <small className="hint" role="status">
            Copied to the clipboard.
          </small>
        )}
      </div>
      {props.webhook ? (
        <p>
          Your endpoint checks the <code>webhook-signature</code> header of each delivery with it (Standard
          Webhooks).
        </p>
      ) : (
        <>
          <p>Send it as a bearer token:</p>
          <pre className="snippet">
            <code>Authorization: Bearer {props.secret}</code>
          </pre>
        </>
      )}
      {warned && !copied && (
        <p role="alert" className="warning">
          You have not copied the {what.thing}, and it cannot be shown again. Press Done again to close
          anyway.
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={done}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
