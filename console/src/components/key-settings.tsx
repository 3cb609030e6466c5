import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Key, KeySchema } from "../../../src/gen/keyward/admin/v1/key_pb.js";
import { api } from "../api.js";
import { errorText, fieldError } from "../errors.js";
import { commaList, metadataText, parseMetadata, spaceList } from "../format.js";
import { Field } from "./field.js";

/** The editable settings of a key, as the form shows them. */
export interface SettingsForm {
  name: string;
  scopes: string;
  ipAllowlist: string;
  tags: string;
  expires: string;
  rateLimit: string;
  metadata: string;
}

/** A key's settings as form text. */
export function settingsOf(k: Key): SettingsForm {
  const perMinute = k.rateLimit?.window
    ? (k.rateLimit.requests * 60) / Number(k.rateLimit.window.seconds || 60n)
    : 0;
  return {
    name: k.name,
    scopes: k.scopes.join(" "),
    ipAllowlist: k.ipAllowlist.join(", "),
    tags: k.tags.join(", "),
    expires: k.expireTime ? new Date(Number(k.expireTime.seconds) * 1000).toISOString().slice(0, 10) : "",
    rateLimit: perMinute ? String(Math.round(perMinute)) : "",
    metadata: metadataText(k.metadata),
  };
}

/** The UpdateKey request for what changed between `before` and `after`: only changed fields are in the mask. */
export function updateRequest(id: string, before: SettingsForm, after: SettingsForm) {
  const key: MessageInitShape<typeof KeySchema> = { id };
  const paths: string[] = [];
  const changed = (f: keyof SettingsForm) => before[f] !== after[f];
  if (changed("name")) {
    key.name = after.name.trim();
    paths.push("name");
  }
  if (changed("scopes")) {
    key.scopes = spaceList(after.scopes);
    paths.push("scopes");
  }
  if (changed("ipAllowlist")) {
    key.ipAllowlist = commaList(after.ipAllowlist);
    paths.push("ip_allowlist");
  }
  if (changed("tags")) {
    key.tags = commaList(after.tags);
    paths.push("tags");
  }
  if (changed("expires")) {
    if (after.expires) key.expireTime = timestampFromDate(new Date(`${after.expires}T23:59:59Z`));
    paths.push("expire_time");
  }
  if (changed("rateLimit")) {
    const n = Number(after.rateLimit);
    if (after.rateLimit.trim() && Number.isInteger(n) && n > 0)
      key.rateLimit = { requests: n, window: { seconds: 60n } };
    paths.push("rate_limit");
  }
  if (changed("metadata")) {
    const m = parseMetadata(after.metadata);
    key.metadata = "error" in m ? {} : m;
    paths.push("metadata");
  }
  return { key, updateMask: { paths } };
}

/** The key's settings, edited in place and saved with one UpdateKey naming what changed. */
export function KeySettings({ k }: { k: Key }) {
  const queryClient = useQueryClient();
  const initial = settingsOf(k);
  const [form, setForm] = useState(initial);
  const [saved, setSaved] = useState(false);
  const update = useMutation({
    mutationFn: () => api.updateKey(updateRequest(k.id, initial, form)),
    onSuccess: () => {
      setSaved(true);
      void queryClient.invalidateQueries({ queryKey: ["keys"] });
    },
  });
  const readOnly = k.status === "revoked";
  const dirty = JSON.stringify(form) !== JSON.stringify(initial);
  const set = (f: keyof SettingsForm) => (e: { target: { value: string } }) => {
    setSaved(false);
    setForm({ ...form, [f]: e.target.value });
  };
  const input = (label: string, f: keyof SettingsForm, field: string, hint?: string, type = "text") => (
    <Field label={label} hint={hint} error={fieldError(update.error, `key.${field}`)}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          type={type}
          value={form[f]}
          onChange={set(f)}
          readOnly={readOnly}
          aria-describedby={describedBy}
          aria-invalid={invalid}
        />
      )}
    </Field>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate();
  };
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <form onSubmit={submit} className="settings">
        {input("Name", "name", "name")}
        {input("Scopes", "scopes", "scopes", "Space-separated")}
        {input("IP allowlist", "ipAllowlist", "ip_allowlist", "Comma-separated CIDRs")}
        {input("Tags", "tags", "tags", "Comma-separated")}
        {input("Expiry date", "expires", "expire_time", "Empty: never expires", "date")}
        {input(
          "Rate limit",
          "rateLimit",
          "rate_limit",
          "Requests per minute; empty uses the server's default",
        )}
        <Field
          label="Metadata"
          hint="One key=value per line"
          error={fieldError(update.error, "key.metadata")}
        >
          {({ id, describedBy }) => (
            <textarea
              id={id}
              rows={3}
              value={form.metadata}
              onChange={set("metadata")}
              readOnly={readOnly}
              aria-describedby={describedBy}
            />
          )}
        </Field>
        {update.error && (
          <p role="alert" className="error">
            {errorText(update.error)}
          </p>
        )}
        {saved && !dirty && <p role="status">Saved.</p>}
        {!readOnly && (
          <div className="actions">
            <button type="submit" className="primary" disabled={!dirty || update.isPending}>
              Save changes
            </button>
          </div>
        )}
      </form>
    </section>
  );
}
