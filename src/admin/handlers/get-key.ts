import type { HandlerContext } from "@connectrpc/connect";
import type { GetKeyRequest } from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Key } from "../../gen/keyward/admin/v1/key_pb.js";
import { type AdminContext, callerOf } from "../admin-context.js";
import { visibleKey } from "../key-mutation.js";
import { keyResource } from "../key-resource.js";

/** GetKey: one key the caller may see. */
export function getKeyHandler(ctx: AdminContext) {
  return async (req: GetKeyRequest, hctx: HandlerContext): Promise<Key> =>
    keyResource(await visibleKey(ctx, callerOf(hctx), req.keyId));
}
