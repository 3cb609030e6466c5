import { Client, credentials, type ServiceError } from "@grpc/grpc-js";
import {
  Authorization,
  type CheckRequest,
  type CheckResponse,
} from "../src/gen/envoy/service/auth/v3/external_auth_pb.js";
import { grpcMethod } from "./grpc-js-method.js";

/** Sends one real Check over grpc-js (the way Envoy calls it) and returns the answer. */
export async function grpcCheck(
  port: number,
  request: CheckRequest,
  timeoutMs = 5000,
): Promise<CheckResponse> {
  const [check] = Authorization.methods;
  if (!check) throw new Error("Authorization service has no Check method");
  const method = grpcMethod(check);
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    return await new Promise<CheckResponse>((resolve, reject) =>
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, res?: unknown) =>
          err || !res ? reject(err) : resolve(res as CheckResponse),
      ),
    );
  } finally {
    client.close();
  }
}

/** Why `res` is not an allow, or null when it is one. */
export function notAllowed(res: CheckResponse): string | null {
  if (res.status?.code === 0 && res.httpResponse.case === "okResponse") return null;
  const denied = res.httpResponse.case === "deniedResponse" ? res.httpResponse.value : undefined;
  return `status ${res.status?.code ?? "?"} (${res.status?.message ?? ""}), HTTP ${denied?.status?.code ?? "?"}, body ${denied?.body ?? "-"}`;
}
