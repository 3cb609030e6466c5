import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api.js";
import { fieldError } from "../errors.js";
import { useSession } from "../session.js";
import { Dialog } from "./dialog.js";
import { Field } from "./field.js";
import { ErrorText } from "./status.js";

/** Whether the typed confirmation names the company exactly (surrounding spaces forgiven, nothing else). */
export function confirmsCompany(typed: string, companyId: string): boolean {
  return companyId !== "" && typed.trim() === companyId;
}

/** "Revoked 1 key of company acme." and so on. */
export function revokedSentence(count: bigint, companyId: string): string {
  return `Revoked ${count} key${count === 1n ? "" : "s"} of company ${companyId}.`;
}

/**
 * RevokeAllKeys for one company, behind a confirmation: the person types the company id (the button waits
 * for an exact match) and gives a reason. Afterwards it says how many keys went; when the company is the
 * caller's own, the admin key behind this session went too, so closing starts a fresh, signed-out page.
 */
export function RevokeAllDialog(props: { companyId: string; onClose: () => void }) {
  const { caller } = useSession();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const [reason, setReason] = useState("");
  const revoke = useMutation({
    mutationFn: () => api.revokeAllKeys({ companyId: props.companyId, reason }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["keys"] }),
  });
  const confirmed = confirmsCompany(typed, props.companyId);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (confirmed) revoke.mutate();
  };
  const close = () => {
    if (revoke.isSuccess && props.companyId === caller.companyId) window.location.assign("/console/");
    else props.onClose();
  };
  if (revoke.data) {
    return (
      <Dialog title="Revoke all keys" onClose={close}>
        <p role="status">{revokedSentence(revoke.data.revokedCount, props.companyId)}</p>
        {props.companyId === caller.companyId && (
          <p>The admin key you signed in with was one of them: closing signs you out.</p>
        )}
        <div className="actions">
          <button type="button" className="primary" onClick={close}>
            Close
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Revoke all keys" onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        <p>
          Every key of company <strong>{props.companyId}</strong> stops working at once, on every replica,
          including admin keys. This cannot be undone.
        </p>
        <Field label="Company id" hint={`Type ${props.companyId} to confirm`}>
          {({ id, describedBy }) => (
            <input
              id={id}
              value={typed}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setTyped(e.target.value)}
              aria-describedby={describedBy}
            />
          )}
        </Field>
        <Field label="Reason" error={fieldError(revoke.error, "reason")}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        {revoke.error && <ErrorText error={revoke.error} />}
        <div className="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={!confirmed || revoke.isPending}>
            Revoke all keys
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The keys page's panic button: a company admin's own company, or the company a platform admin picked
 * (everything at once stays with the API and `keyward reset-keys`).
 */
export function RevokeAllSection() {
  const session = useSession();
  const [open, setOpen] = useState(false);
  const companyId = session.platform ? session.company : session.caller.companyId;
  return (
    <section className="danger-zone" aria-labelledby="revoke-all-title">
      <h2 id="revoke-all-title">Revoke everything</h2>
      {companyId ? (
        <p>
          If keys may have leaked, revoke every key of company {companyId} at once.{" "}
          <button type="button" className="danger" onClick={() => setOpen(true)}>
            Revoke all keys
          </button>
        </p>
      ) : (
        <p className="hint">Choose a company above to revoke all of its keys.</p>
      )}
      {open && companyId && <RevokeAllDialog companyId={companyId} onClose={() => setOpen(false)} />}
    </section>
  );
}
