import { closestName } from "../text/closest-name.js";

/** Settings read only in some configurations, and the test and bench harness's own. */
const CONDITIONAL_SETTINGS = [
  "KEYWARD_DATA_DIR",
  "KEYWARD_PEPPER_FILE",
  "KEYWARD_TEST_DATABASE",
  "KEYWARD_TEST_DATABASE_URL",
  "KEYWARD_BENCH_DATABASE_URL",
];

/**
 * A view of `given` that notes every name looked up in it: every name the config reads is a setting, so the
 * list of known ones never falls behind the code. `unknown()` then warns about the rest.
 */
export function trackedEnv(given: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; unknown(): string[] } {
  const read = new Set<string>(CONDITIONAL_SETTINGS);
  const env = new Proxy(given, {
    get: (target, name) => {
      if (typeof name === "string") read.add(name);
      return Reflect.get(target, name);
    },
  });
  return { env, unknown: () => unknownSettings(given, [...read]) };
}

/** A warning for each `KEYWARD_*` name in `env` that is not a setting, naming the closest one that is. */
export function unknownSettings(env: NodeJS.ProcessEnv, known: readonly string[]): string[] {
  const settings = known.filter((name) => name.startsWith("KEYWARD_"));
  return Object.keys(env)
    .filter((name) => name.startsWith("KEYWARD_") && !settings.includes(name))
    .sort()
    .map((name) => {
      const hint = closestName(name, settings);
      return `${name} is not a Keyward setting and is ignored${hint ? ` (did you mean ${hint}?)` : ""}`;
    });
}
