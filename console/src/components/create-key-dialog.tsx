import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { CreateKeyRequestSchema } from "../../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { api } from "../api.js";
import { fieldError } from "../errors.js";
import { commaList, EXPIRY_PRESETS, parseMetadata, spaceList } from "../format.js";
import { useSession } from "../session.js";
import { Dialog } from "./dialog.js";
import { Field } from "./field.js";
import { FormActions } from "./form-actions.js";

type CreateInit = MessageInitShape<typeof CreateKeyRequestSchema>;

/** What the create form holds, as typed. */
export interface CreateForm {
  name: string;
  scopes: string;
  environment: string;
  expires: string;
  customDate: string;
  ipAllowlist: string;
  rateLimit: string;
  tags: string;
  metadata: string;
  kind: string;
  companyId: string;
  companyIds: string;
  userId: string;
}

const EMPTY: CreateForm = {
  name: "",
  scopes: "",
  environment: "live",
  expires: "Never",
  customDate: "",
  ipAllowlist: "",
  rateLimit: "",
  tags: "",
  metadata: "",
  kind: "standard",
  companyId: "",
  companyIds: "",
  userId: "",
};

/** The CreateKey request for a filled form, or the problem with a field the form itself can see. */
export function createRequest(
  f: CreateForm,
  now: number,
): { request: CreateInit } | { field: string; error: string } {
  const metadata = parseMetadata(f.metadata);
  if ("error" in metadata) return { field: "metadata", error: metadata.error };
  const request: CreateInit = {
    name: f.name.trim(),
    scopes: spaceList(f.scopes),
    environment: f.environment,
    ipAllowlist: commaList(f.ipAllowlist),
    tags: commaList(f.tags),
    metadata,
  };
  if (f.expires === "Custom date") {
    const date = new Date(`${f.customDate}T23:59:59`);
    if (!f.customDate || Number.isNaN(date.getTime())) return { field: "expire_time", error: "pick a date" };
    if (date.getTime() <= now) return { field: "expire_time", error: "must be in the future" };
    request.expireTime = timestampFromDate(date);
  } else {
    const days = EXPIRY_PRESETS.find((p) => p.label === f.expires)?.days ?? null;
    if (days !== null) request.ttl = { seconds: BigInt(days * 86_400) };
  }
  if (f.rateLimit.trim()) {
    const n = Number(f.rateLimit);
    if (!Number.isInteger(n) || n <= 0)
      return { field: "rate_limit", error: "a whole number of requests per minute" };
    request.rateLimit = { requests: n, window: { seconds: 60n } };
  }
  if (f.kind !== "standard") request.kind = f.kind;
  if (f.kind !== "user" && f.companyId.trim()) request.companyId = f.companyId.trim();
  if (f.kind === "integration") request.companyIds = commaList(f.companyIds);
  if (f.kind === "user") request.userId = f.userId.trim();
  return { request };
}

/** The sectioned create dialog; on success it hands the one-time secret up and closes. */
export function CreateKeyDialog(props: {
  onClose: () => void;
  onCreated: (secret: string, keyId: string) => void;
}) {
  const { platform, company } = useSession();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<CreateForm>({ ...EMPTY, companyId: platform ? company : "" });
  const [local, setLocal] = useState<{ field: string; error: string } | null>(null);
  const create = useMutation({
    // The answer holds the secret: keep it nowhere once this dialog is gone.
    gcTime: 0,
    mutationFn: (req: CreateInit) => api.createKey(req),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: ["keys"] });
      props.onCreated(res.secret, res.key?.id ?? "");
    },
  });
  const set = (k: keyof CreateForm) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const err = (field: string) => (local?.field === field ? local.error : fieldError(create.error, field));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const built = createRequest(form, Date.now());
    if ("field" in built) {
      setLocal(built);
      return;
    }
    setLocal(null);
    create.mutate(built.request);
  };
  const text = (label: string, key: keyof CreateForm, field: string, hint?: string) => (
    <Field label={label} hint={hint} error={err(field)}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          value={form[key]}
          onChange={set(key)}
          aria-describedby={describedBy}
          aria-invalid={invalid}
        />
      )}
    </Field>
  );
  return (
    <Dialog title="Create key" onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>Basics</legend>
          {text("Name", "name", "name")}
          {text("Scopes", "scopes", "scopes", "Space-separated, e.g. candidates:read jobs:*")}
          <Field label="Environment" error={err("environment")}>
            {({ id }) => (
              <select id={id} value={form.environment} onChange={set("environment")}>
                <option value="live">live</option>
                <option value="test">test</option>
              </select>
            )}
          </Field>
          <Field label="Expires" error={err("ttl")}>
            {({ id }) => (
              <select id={id} value={form.expires} onChange={set("expires")}>
                {EXPIRY_PRESETS.map((p) => (
                  <option key={p.label}>{p.label}</option>
                ))}
                <option>Custom date</option>
              </select>
            )}
          </Field>
          {form.expires === "Custom date" && (
            <Field label="Expiry date" error={err("expire_time")}>
              {({ id, describedBy }) => (
                <input
                  id={id}
                  type="date"
                  value={form.customDate}
                  onChange={set("customDate")}
                  aria-describedby={describedBy}
                />
              )}
            </Field>
          )}
        </fieldset>
        <fieldset>
          <legend>Restrictions</legend>
          {text(
            "IP allowlist",
            "ipAllowlist",
            "ip_allowlist",
            "Comma-separated CIDRs; empty allows any address",
          )}
          {text(
            "Rate limit",
            "rateLimit",
            "rate_limit",
            "Requests per minute; empty uses the server's default",
          )}
        </fieldset>
        <fieldset>
          <legend>Labels</legend>
          {text("Tags", "tags", "tags", "Comma-separated")}
          <Field label="Metadata" hint="One key=value per line" error={err("metadata")}>
            {({ id, describedBy }) => (
              <textarea
                id={id}
                rows={3}
                value={form.metadata}
                onChange={set("metadata")}
                aria-describedby={describedBy}
              />
            )}
          </Field>
        </fieldset>
        {platform && (
          <fieldset>
            <legend>Platform</legend>
            <Field label="Kind" error={err("kind")}>
              {({ id }) => (
                <select id={id} value={form.kind} onChange={set("kind")}>
                  <option value="standard">standard</option>
                  <option value="integration">integration</option>
                  <option value="user">user</option>
                </select>
              )}
            </Field>
            {form.kind !== "user" && text("Owning company", "companyId", "company_id")}
            {form.kind === "integration" &&
              text(
                "Companies",
                "companyIds",
                "company_ids",
                "Comma-separated ids of the companies it acts for",
              )}
            {form.kind === "user" &&
              text("User", "userId", "user_id", "The token belongs to the user's company")}
          </fieldset>
        )}
        <FormActions
          error={create.error}
          pending={create.isPending}
          submitLabel="Create"
          onCancel={props.onClose}
        />
      </form>
    </Dialog>
  );
}
