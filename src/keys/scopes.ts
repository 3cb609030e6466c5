/** Scopes that wildcards never grant: they are held only when spelled out. */
export const RESERVED_SCOPES: ReadonlySet<string> = new Set(["keys:admin", "platform:admin"]);

const PART = "[a-z][a-z0-9_.-]{0,63}";
const SCOPE_PATTERN = new RegExp(`^(?:\\*|${PART}:(?:\\*|${PART}))$`);

/** Whether `scope` is well formed: `resource:action`, `resource:*` or `*`. */
export function isValidScope(scope: string): boolean {
  return SCOPE_PATTERN.test(scope);
}

/** Whether a key holding `held` may do what `required` names. */
export function grants(held: string, required: string): boolean {
  if (held === required) return true;
  if (RESERVED_SCOPES.has(required)) return false;
  if (held === "*") return true;
  if (held.endsWith(":*")) {
    const resource = held.slice(0, -1);
    return required.startsWith(resource) && required !== "*";
  }
  return false;
}

/** The scopes in `required` that `held` does not grant, in the order asked. */
export function missingScopes(held: readonly string[], required: readonly string[]): string[] {
  return required.filter((r) => !held.some((h) => grants(h, r)));
}

/** Whether `held` grants every scope in `required`; the Check path's allocation-free form of missingScopes. */
export function holdsAll(held: readonly string[], required: readonly string[]): boolean {
  for (const r of required) {
    let granted = false;
    for (const h of held) {
      if (grants(h, r)) {
        granted = true;
        break;
      }
    }
    if (!granted) return false;
  }
  return true;
}

/**
 * What holding both `a` and `b` allows: every scope of one side that the other side grants. `*` with
 * `candidates:read` is `candidates:read`; `candidates:*` with `candidates:read jobs:read` is `candidates:read`.
 * Reserved scopes survive only when both sides spell them out.
 */
export function intersectScopes(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of a) if (b.some((h) => grants(h, s))) out.add(s);
  for (const s of b) if (a.some((h) => grants(h, s))) out.add(s);
  return [...out];
}
