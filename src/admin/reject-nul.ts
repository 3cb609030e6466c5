import { ScalarType } from "@bufbuild/protobuf";
import { isReflectMessage, type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import type { Interceptor } from "@connectrpc/connect";
import { KeyAdminService } from "../gen/keyward/admin/v1/key_admin_pb.js";
import { invalidArgument } from "./errors.js";

/**
 * Refuses any KeyAdmin request with a NUL character in a string, naming the field. PostgreSQL can store NUL
 * in neither `text` nor `jsonb`, so such a value would otherwise reach the database and fail as an internal
 * error, in a filter as much as in a write. One check at the edge covers every field of every RPC.
 */
export function rejectNulInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === KeyAdminService.typeName && !req.stream) {
      const fields = nulFields(reflect(req.method.input, req.message), "");
      if (fields.length > 0) {
        throw invalidArgument(
          fields.map((field) => ({ field, description: "must not contain NUL characters" })),
        );
      }
    }
    return next(req);
  };
}

/** The paths (proto names, as other violations use) of every string under `msg` holding a NUL. */
function nulFields(msg: ReflectMessage, prefix: string): string[] {
  const out: string[] = [];
  const visit = (path: string, value: unknown) => {
    if (typeof value === "string" && value.includes("\u0000")) out.push(path);
    else if (isReflectMessage(value)) out.push(...nulFields(value, `${path}.`));
  };
  for (const field of msg.fields) {
    if (!msg.isSet(field)) continue;
    const path = `${prefix}${field.name}`;
    switch (field.fieldKind) {
      case "scalar":
        if (field.scalar === ScalarType.STRING) visit(path, msg.get(field));
        break;
      case "message":
        visit(path, msg.get(field));
        break;
      case "list": {
        let i = 0;
        for (const item of msg.get(field)) visit(`${path}[${i++}]`, item);
        break;
      }
      case "map":
        for (const [key, value] of msg.get(field)) {
          const shown = String(key)
            .replace(/[\p{Cc}"\\]/gu, "?")
            .slice(0, 64);
          if (String(key).includes("\u0000")) out.push(`${path}["${shown}"]`);
          else visit(`${path}["${shown}"]`, value);
        }
        break;
    }
  }
  return out;
}
