import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { parseDuration } from "../duration.js";
import type { FieldViolation } from "../keys/validation.js";
import { closestName } from "../text/closest-name.js";

/** Well-known types whose JSON form is not an object of their fields; protobuf-es checks those itself. */
const OPAQUE_JSON = new Set([
  "google.protobuf.Any",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.Timestamp",
  "google.protobuf.FieldMask",
]);

/** A protobuf JSON duration: seconds, up to nine fractional digits, then "s". */
const DURATION = /^-?\d+(\.\d{1,9})?s$/;

/**
 * What is wrong, field by field, with a Connect JSON request body before it is decoded: names the message
 * does not have (a misspelled `"expires"` would otherwise be dropped, and the key never expire) and durations
 * that are not seconds (`"30d"`). Pure; `path` prefixes the field names it reports.
 */
export function jsonFieldViolations(desc: DescMessage, json: unknown, path = ""): FieldViolation[] {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return [];
  const violations: FieldViolation[] = [];
  for (const [name, value] of Object.entries(json)) {
    const field = desc.fields.find((f) => f.jsonName === name || f.name === name);
    if (!field) {
      const known = desc.fields.map((f) => f.jsonName);
      const hint = closestName(name, known);
      violations.push({
        field: `${path}${name}`,
        description: `unknown field${hint ? ` (did you mean "${hint}"?)` : ""}; ${desc.typeName} has ${known.join(", ")}`,
      });
      continue;
    }
    violations.push(...valueViolations(field, value, `${path}${field.jsonName}`));
  }
  return violations;
}

function valueViolations(field: DescField, value: unknown, path: string): FieldViolation[] {
  const message =
    field.fieldKind === "message" || field.fieldKind === "list" || field.fieldKind === "map"
      ? field.message
      : undefined;
  if (!message || value === null) return [];
  const items: [string, unknown][] =
    field.fieldKind === "list" && Array.isArray(value)
      ? value.map((v, i) => [`${path}[${i}]`, v])
      : field.fieldKind === "map" && typeof value === "object"
        ? Object.entries(value).map(([k, v]) => [`${path}[${k}]`, v])
        : [[path, value]];
  return items.flatMap(([at, item]) => messageViolations(message, item, at));
}

function messageViolations(desc: DescMessage, value: unknown, path: string): FieldViolation[] {
  if (desc.typeName === "google.protobuf.Duration") {
    if (typeof value === "string" && DURATION.test(value)) return [];
    return [{ field: path, description: durationAdvice(value) }];
  }
  if (
    OPAQUE_JSON.has(desc.typeName) ||
    (desc.typeName.startsWith("google.protobuf.") && desc.typeName.endsWith("Value"))
  ) {
    return [];
  }
  return jsonFieldViolations(desc, value, `${path}.`);
}

/** Says how durations are written, with the caller's own value converted when it reads like "30d". */
export function durationAdvice(value: unknown): string {
  const ms = typeof value === "string" ? parseDuration(value) : undefined;
  const example = ms === undefined ? '"2592000s" for 30 days' : `"${ms / 1000}s" for ${String(value)}`;
  return `a duration is a number of seconds with an "s" suffix, e.g. ${example}`;
}
