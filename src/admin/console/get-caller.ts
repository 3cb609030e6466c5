import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { type Caller, CallerSchema } from "../../gen/keyward/admin/v1/console_pb.js";
import type { KeyRepository } from "../../store/key-repository.js";
import { callerOf } from "../caller.js";
import { viaSessionKey } from "./session-auth.js";

/** GetCaller: who the calling credential is, so a client (the console) can shape itself to its rights. */
export function getCallerHandler(ctx: { keys: KeyRepository }) {
  return async (_req: unknown, hctx: HandlerContext): Promise<Caller> => {
    const { principal } = callerOf(hctx);
    if (principal.kind !== "key") {
      return create(CallerSchema, { adminLevel: "platform", authentication: principal.kind });
    }
    const key = await ctx.keys.findById(principal.keyId);
    return create(CallerSchema, {
      keyId: principal.keyId,
      companyId: principal.companyId,
      scopes: key?.scopes ?? [],
      keyName: key?.name ?? "",
      adminLevel: principal.platform ? "platform" : "company",
      authentication: hctx.values.get(viaSessionKey) ? "session" : "bearer",
    });
  };
}
