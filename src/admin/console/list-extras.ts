import type { ListKeysRequest } from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Violations } from "../../keys/validation.js";
import { HYGIENE, type Hygiene, type KeyListExtras } from "../../store/key-list-extras.js";

const MAX_QUERY = 128;

/** ListKeys' free-text and hygiene filters, checked; problems go to `v`. */
export function listExtras(v: Violations, req: ListKeysRequest, now: number): KeyListExtras {
  const query = req.query.trim();
  if (query.length > MAX_QUERY) v.add("query", `must be at most ${MAX_QUERY} characters`);
  if (req.hygiene && !(HYGIENE as readonly string[]).includes(req.hygiene)) {
    v.add("hygiene", `must be one of ${HYGIENE.join(", ")}`);
  }
  return {
    query: query || undefined,
    hygiene: (req.hygiene || undefined) as Hygiene | undefined,
    now: new Date(now),
  };
}
