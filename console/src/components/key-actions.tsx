import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Key } from "../../../src/gen/keyward/admin/v1/key_pb.js";
import { api } from "../api.js";
import { GRACE_PERIODS } from "../format.js";
import { navigate } from "../router.js";
import { Dialog } from "./dialog.js";
import { SecretDialog } from "./secret-dialog.js";
import { ErrorText } from "./status.js";

type Open = "rotate" | "suspend" | "revoke" | null;

/** Rotate, Suspend/Resume and Revoke for one key, each behind its own dialog. */
export function KeyActions({ k }: { k: Key }) {
  const [open, setOpen] = useState<Open>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [newKeyId, setNewKeyId] = useState("");
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["keys"] });
  const resume = useMutation({ mutationFn: () => api.resumeKey({ keyId: k.id }), onSuccess: refresh });
  if (k.status === "revoked") return null;
  return (
    <div className="actions key-actions">
      <button type="button" onClick={() => setOpen("rotate")}>
        Rotate
      </button>
      {k.status === "suspended" ? (
        <button type="button" onClick={() => resume.mutate()} disabled={resume.isPending}>
          Resume
        </button>
      ) : (
        <button type="button" onClick={() => setOpen("suspend")}>
          Suspend
        </button>
      )}
      <button type="button" className="danger" onClick={() => setOpen("revoke")}>
        Revoke
      </button>
      {resume.error && <ErrorText error={resume.error} />}
      {open === "rotate" && (
        <RotateDialog
          k={k}
          onClose={() => setOpen(null)}
          onRotated={(s, id) => {
            setOpen(null);
            setNewKeyId(id);
            setSecret(s);
            void refresh();
          }}
        />
      )}
      {(open === "suspend" || open === "revoke") && (
        <ReasonDialog
          k={k}
          action={open}
          onClose={() => setOpen(null)}
          onDone={() => {
            setOpen(null);
            void refresh();
          }}
        />
      )}
      {secret !== null && (
        <SecretDialog
          secret={secret}
          onDone={() => {
            setSecret(null);
            if (newKeyId) navigate({ view: "key", id: newKeyId });
          }}
        />
      )}
    </div>
  );
}

function RotateDialog(props: {
  k: Key;
  onClose: () => void;
  onRotated: (secret: string, keyId: string) => void;
}) {
  const [grace, setGrace] = useState("86400");
  const rotate = useMutation({
    // The answer holds the secret: keep it nowhere once this dialog is gone.
    gcTime: 0,
    mutationFn: () => api.rotateKey({ keyId: props.k.id, gracePeriod: durationFromMs(Number(grace) * 1000) }),
    onSuccess: (res) => props.onRotated(res.secret, res.key?.id ?? ""),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    rotate.mutate();
  };
  return (
    <Dialog title="Rotate key" onClose={props.onClose}>
      <form onSubmit={submit}>
        <p>
          A new key replaces “{props.k.name || props.k.id}” with the same settings. The old key keeps working
          for the grace period.
        </p>
        <div className="field">
          <label htmlFor="grace-period">Grace period</label>
          <select id="grace-period" value={grace} onChange={(e) => setGrace(e.target.value)}>
            {GRACE_PERIODS.map((g) => (
              <option key={g.seconds} value={String(g.seconds)}>
                {g.label}
              </option>
            ))}
          </select>
        </div>
        {rotate.error && <ErrorText error={rotate.error} />}
        <div className="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={rotate.isPending}>
            Rotate key
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ReasonDialog(props: {
  k: Key;
  action: "suspend" | "revoke";
  onClose: () => void;
  onDone: () => void;
}) {
  const [reason, setReason] = useState("");
  const revoke = props.action === "revoke";
  const call = useMutation({
    mutationFn: () =>
      revoke ? api.revokeKey({ keyId: props.k.id, reason }) : api.suspendKey({ keyId: props.k.id, reason }),
    onSuccess: props.onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    call.mutate();
  };
  return (
    <Dialog title={revoke ? "Revoke key" : "Suspend key"} onClose={props.onClose}>
      <form onSubmit={submit}>
        <p>
          {revoke
            ? "Revoking is permanent: every request with this key is refused from now on."
            : "A suspended key is refused until it is resumed."}
        </p>
        <div className="field">
          <label htmlFor="action-reason">Reason</label>
          <input id="action-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        {call.error && <ErrorText error={call.error} />}
        <div className="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className={revoke ? "danger" : "primary"} disabled={call.isPending}>
            {revoke ? "Revoke key" : "Suspend key"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
