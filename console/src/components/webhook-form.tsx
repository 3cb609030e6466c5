import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api.js";
import { fieldError } from "../errors.js";
import { spaceList } from "../format.js";
import { useSession } from "../session.js";
import { Dialog } from "./dialog.js";
import { Field } from "./field.js";
import { FormActions } from "./form-actions.js";

/**
 * The "Add webhook" dialog: URL, event types (empty: all), description, and for platform admins the owning
 * company (empty: every company's events). On success it hands the one-time signing secret up and closes.
 */
export function CreateWebhookDialog(props: { onClose: () => void; onCreated: (secret: string) => void }) {
  const { platform, company } = useSession();
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState("");
  const [description, setDescription] = useState("");
  const [owner, setOwner] = useState(platform ? company : "");
  const create = useMutation({
    // The answer holds the secret: keep it nowhere once this dialog is gone.
    gcTime: 0,
    mutationFn: () =>
      api.createWebhook({
        webhook: { url: url.trim(), eventTypes: spaceList(events), description, companyId: owner.trim() },
      }),
    onSuccess: (res) => props.onCreated(res.secret),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const input = (label: string, value: string, set: (v: string) => void, field: string, hint?: string) => (
    <Field label={label} hint={hint} error={fieldError(create.error, field)}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          value={value}
          onChange={(e) => set(e.target.value)}
          aria-describedby={describedBy}
          aria-invalid={invalid}
        />
      )}
    </Field>
  );
  return (
    <Dialog title="Add webhook" onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate>
        {input("URL", url, setUrl, "webhook.url", "https:// and a public address")}
        {input(
          "Event types",
          events,
          setEvents,
          "webhook.event_types",
          "Space-separated, e.g. key.revoked key.leaked; empty sends every event",
        )}
        {input("Description", description, setDescription, "webhook.description")}
        {platform &&
          input("Owning company", owner, setOwner, "webhook.company_id", "Empty: every company's events")}
        <FormActions
          error={create.error}
          pending={create.isPending}
          submitLabel="Create webhook"
          onCancel={props.onClose}
        />
      </form>
    </Dialog>
  );
}
