import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Webhook } from "../../../src/gen/keyward/admin/v1/webhook_pb.js";
import { api } from "../api.js";
import { Dialog } from "../components/dialog.js";
import { SecretDialog } from "../components/secret-dialog.js";
import { ErrorText, Loading } from "../components/status.js";
import { WebhookDeliveries } from "../components/webhook-deliveries.js";
import { CreateWebhookDialog } from "../components/webhook-form.js";
import { companyFilter, useSession } from "../session.js";

/** The endpoints that receive this company's events: create, enable or disable, rotate, delete, deliveries. */
export function WebhooksView() {
  const session = useSession();
  const companyId = companyFilter(session);
  const queryClient = useQueryClient();
  const hooks = useQuery({
    queryKey: ["webhooks", "list", companyId],
    queryFn: () => api.listWebhooks({ companyId, pageSize: 200 }),
  });
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [shown, setShown] = useState<Webhook | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["webhooks"] });
  const toggle = useMutation({
    mutationFn: (w: Webhook) =>
      api.updateWebhook({
        webhook: { id: w.id, disabled: !w.disabled },
        updateMask: { paths: ["disabled"] },
      }),
    onSuccess: refresh,
  });
  const rotate = useMutation({
    // The answer holds the secret: keep it nowhere once the dialog is gone.
    gcTime: 0,
    mutationFn: (w: Webhook) => api.rotateWebhookSecret({ webhookId: w.id }),
    onSuccess: (res) => setSecret(res.secret),
  });
  const list = hooks.data?.webhooks ?? [];
  return (
    <section>
      <div className="title-row">
        <h1>Webhooks</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          Add webhook
        </button>
      </div>
      <p className="hint">
        Events are sent as Standard Webhooks, signed with the endpoint's secret. Rotating a secret keeps the
        old one signing beside the new for 24 hours.
      </p>
      {hooks.isPending && <Loading what="webhooks" />}
      {hooks.error && <ErrorText error={hooks.error} />}
      {toggle.error && <ErrorText error={toggle.error} />}
      {rotate.error && <ErrorText error={rotate.error} />}
      {hooks.data && list.length === 0 && (
        <p className="empty">No webhooks yet. Add one with “Add webhook”.</p>
      )}
      {list.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Webhooks</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Company</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((w) => (
                <tr key={w.id}>
                  <th scope="row">
                    <code>{w.url}</code>
                    {w.description && <div className="hint">{w.description}</div>}
                  </th>
                  <td>{w.eventTypes.length ? w.eventTypes.join(" ") : "all"}</td>
                  <td>{w.companyId || "every company"}</td>
                  <td>
                    {w.disabled ? `disabled${w.disabledReason ? `: ${w.disabledReason}` : ""}` : "enabled"}
                  </td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        aria-label={`Deliveries to ${w.url}`}
                        aria-pressed={shown?.id === w.id}
                        onClick={() => setShown(shown?.id === w.id ? null : w)}
                      >
                        Deliveries
                      </button>
                      <button
                        type="button"
                        aria-label={`${w.disabled ? "Enable" : "Disable"} ${w.url}`}
                        disabled={toggle.isPending}
                        onClick={() => toggle.mutate(w)}
                      >
                        {w.disabled ? "Enable" : "Disable"}
                      </button>
                      <button
                        type="button"
                        aria-label={`Rotate secret of ${w.url}`}
                        disabled={rotate.isPending}
                        onClick={() => rotate.mutate(w)}
                      >
                        Rotate secret
                      </button>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Delete ${w.url}`}
                        onClick={() => setDeleting(w)}
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && <WebhookDeliveries key={shown.id} webhook={shown} />}
      {creating && (
        <CreateWebhookDialog
          onClose={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setSecret(s);
            void refresh();
          }}
        />
      )}
      {deleting && (
        <DeleteWebhookDialog
          webhook={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            if (shown?.id === deleting.id) setShown(null);
            setDeleting(null);
            void refresh();
          }}
        />
      )}
      {secret !== null && <SecretDialog webhook secret={secret} onDone={() => setSecret(null)} />}
    </section>
  );
}

function DeleteWebhookDialog(props: { webhook: Webhook; onClose: () => void; onDeleted: () => void }) {
  const remove = useMutation({
    mutationFn: () => api.deleteWebhook({ webhookId: props.webhook.id }),
    onSuccess: props.onDeleted,
  });
  return (
    <Dialog title="Delete webhook" onClose={props.onClose}>
      <p>
        <code>{props.webhook.url}</code> stops receiving events, and its pending deliveries are dropped.
      </p>
      {remove.error && <ErrorText error={remove.error} />}
      <div className="actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
          Delete webhook
        </button>
      </div>
    </Dialog>
  );
}
