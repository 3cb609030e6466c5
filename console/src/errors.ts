import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";

/** An API error in words, for people: never a code number or a stack. */
export function errorText(err: unknown): string {
  if (!(err instanceof ConnectError)) {
    return "Something went wrong talking to the server. Check your connection and try again.";
  }
  const detail = err.rawMessage;
  switch (err.code) {
    case Code.InvalidArgument:
      return fieldErrors(err).length > 0 ? "Some fields need fixing." : `That was not accepted: ${detail}.`;
    case Code.NotFound:
      return "Not found: it does not exist, or it belongs to another company.";
    case Code.Unauthenticated:
      return "Your session has ended. Sign in again.";
    case Code.PermissionDenied:
      return `You are not allowed to do that: ${detail}.`;
    case Code.FailedPrecondition:
      return `That cannot be done now: ${detail}.`;
    case Code.AlreadyExists:
      return `That already exists: ${detail}.`;
    case Code.ResourceExhausted:
      return "Too many requests. Wait a moment and try again.";
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return "The server is unavailable right now. Try again in a moment.";
    default:
      return "The server could not do that. Try again, and tell your operator if it keeps happening.";
  }
}

/** The per-field problems of an INVALID_ARGUMENT answer: field path and what is wrong with it. */
export function fieldErrors(err: unknown): { field: string; description: string }[] {
  if (!(err instanceof ConnectError)) return [];
  return err
    .findDetails(BadRequestSchema)
    .flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
}

/** The problem with one field (matching `field` itself or an element of it, like `scopes[2]`), if any. */
export function fieldError(err: unknown, field: string): string | undefined {
  const found = fieldErrors(err).find(
    (f) => f.field === field || f.field.startsWith(`${field}[`) || f.field.startsWith(`${field}.`),
  );
  return found?.description;
}

/** Whether the session behind a failed call has ended. */
export function isSignedOut(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}
