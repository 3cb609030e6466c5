import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../gen/google/rpc/error_details_pb.js";
import type { FieldViolation } from "../keys/validation.js";

/** INVALID_ARGUMENT naming every bad field, as google.rpc.BadRequest details. */
export function invalidArgument(violations: readonly FieldViolation[]): ConnectError {
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(summary, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: [...violations] }) },
  ]);
}

/** INVALID_ARGUMENT for one field. */
export function badField(field: string, description: string): ConnectError {
  return invalidArgument([{ field, description }]);
}

/**
 * NOT_FOUND for a key the caller may not see as well as for one that does not exist: another company's
 * key must be indistinguishable from no key at all.
 */
export function keyNotFound(keyId: string): ConnectError {
  return new ConnectError(`key "${keyId.slice(0, 64)}" not found`, Code.NotFound);
}

export function failedPrecondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

export function permissionDenied(message: string): ConnectError {
  return new ConnectError(message, Code.PermissionDenied);
}

/** NOT_FOUND for a user the caller may not see as well as for one that does not exist. */
export function userNotFound(userId: string): ConnectError {
  return new ConnectError(`user "${userId.slice(0, 128)}" not found`, Code.NotFound);
}
