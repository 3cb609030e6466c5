import type { ServiceImpl } from "@connectrpc/connect";
import type { AppContext } from "../context.js";
import type { KeyAdminService } from "../gen/keyward/admin/v1/key_admin_pb.js";
import { getCallerHandler } from "./console/get-caller.js";
import { createKeyHandler } from "./handlers/create-key.js";
import { createWebhookHandler } from "./handlers/create-webhook.js";
import { deleteWebhookHandler } from "./handlers/delete-webhook.js";
import { detachCompanyHandler } from "./handlers/detach-company.js";
import { getKeyHandler } from "./handlers/get-key.js";
import { getKeyUsageHandler } from "./handlers/get-key-usage.js";
import { getWebhookHandler } from "./handlers/get-webhook.js";
import { resumeKeyHandler, revokeKeyHandler, suspendKeyHandler } from "./handlers/lifecycle.js";
import { listAuditEventsHandler } from "./handlers/list-audit-events.js";
import { listAuthEventsHandler } from "./handlers/list-auth-events.js";
import { listKeysHandler } from "./handlers/list-keys.js";
import { listWebhookDeliveriesHandler } from "./handlers/list-webhook-deliveries.js";
import { listWebhooksHandler } from "./handlers/list-webhooks.js";
import {
  addMembershipHandler,
  listMembershipsHandler,
  removeMembershipHandler,
} from "./handlers/memberships.js";
import { redeliverWebhookHandler } from "./handlers/redeliver-webhook.js";
import { revokeAllKeysHandler } from "./handlers/revoke-all-keys.js";
import { rotateKeyHandler } from "./handlers/rotate-key.js";
import { rotateWebhookSecretHandler } from "./handlers/rotate-webhook-secret.js";
import { updateKeyHandler } from "./handlers/update-key.js";
import { updateWebhookHandler } from "./handlers/update-webhook.js";
import { createUserHandler, getUserHandler } from "./handlers/users.js";

/** keyward.admin.v1.KeyAdminService: one handler per RPC. */
export function keyAdminService(ctx: AppContext): ServiceImpl<typeof KeyAdminService> {
  return {
    createKey: createKeyHandler(ctx),
    getKey: getKeyHandler(ctx),
    listKeys: listKeysHandler(ctx),
    updateKey: updateKeyHandler(ctx),
    rotateKey: rotateKeyHandler(ctx),
    suspendKey: suspendKeyHandler(ctx),
    resumeKey: resumeKeyHandler(ctx),
    revokeKey: revokeKeyHandler(ctx),
    getKeyUsage: getKeyUsageHandler(ctx),
    listAuditEvents: listAuditEventsHandler(ctx),
    listAuthEvents: listAuthEventsHandler(ctx),
    detachCompany: detachCompanyHandler(ctx),
    createUser: createUserHandler(ctx),
    getUser: getUserHandler(ctx),
    addMembership: addMembershipHandler(ctx),
    removeMembership: removeMembershipHandler(ctx),
    listMemberships: listMembershipsHandler(ctx),
    createWebhook: createWebhookHandler(ctx),
    getWebhook: getWebhookHandler(ctx),
    listWebhooks: listWebhooksHandler(ctx),
    updateWebhook: updateWebhookHandler(ctx),
    deleteWebhook: deleteWebhookHandler(ctx),
    rotateWebhookSecret: rotateWebhookSecretHandler(ctx),
    listWebhookDeliveries: listWebhookDeliveriesHandler(ctx),
    redeliverWebhook: redeliverWebhookHandler(ctx),
    getCaller: getCallerHandler(ctx),
    revokeAllKeys: revokeAllKeysHandler(ctx),
  };
}
