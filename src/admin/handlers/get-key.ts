import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import type { GetKeyRequest } from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Key } from "../../gen/keyward/admin/v1/key_pb.js";
import { callerOf } from "../caller.js";
import { keyResource } from "../key-resource.js";
import { visibleKey } from "../visible-key.js";

/** GetKey: one key the caller may see. */
export function getKeyHandler(ctx: AppContext) {
  return async (req: GetKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const caller = callerOf(hctx);
    return keyResource(await visibleKey(ctx, caller, req.keyId), caller.principal);
  };
}
