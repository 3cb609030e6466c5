import type { BareServerInfo } from "./bare-server.js";
import { benchCheckRequest, writeRequestBody } from "./check-request.js";
import { type BenchChild, type ChildPool, startChild } from "./child-process.js";
import { grpcCheck, notAllowed } from "./grpc-check.js";
import type { KeywardServerInfo, KeywardServerOptions } from "./keyward-server.js";
import type { NullServerInfo, NullServerOptions } from "./null-server.js";
import { BenchAbort, type CheckTargets } from "./scenario.js";
import type { TransportServerInfo } from "./transport-server.js";

/** Where a target serving ext_authz on `port` takes Checks. */
export const checkUrl = (port: number) =>
  `http://127.0.0.1:${port}/envoy.service.auth.v3.Authorization/Check`;

/**
 * Starts Keyward and the baselines, writes the framed request, and proves with one real grpc-js call to each
 * that it answers that request (Keyward, the null handlers and the transport with an ALLOW: a bench of
 * denials would measure the wrong path; the bare server with its empty CheckResponse).
 */
export async function startCheckTargets(
  pool: ChildPool,
  startKeyward: (o?: KeywardServerOptions) => Promise<BenchChild<KeywardServerInfo>>,
  tmpDir: string,
): Promise<CheckTargets> {
  const started = performance.now();
  const startNull = (name: string, options: NullServerOptions) =>
    pool.add(startChild<NullServerInfo>(name, "./null-server.ts", options));
  const [keyward, nul, nullDecode, bare, transport] = await Promise.all([
    startKeyward(),
    startNull("null", { decode: false }),
    startNull("null-decode", { decode: true }),
    pool.add(startChild<BareServerInfo>("bare", "./bare-server.ts", {})),
    pool.add(startChild<TransportServerInfo>("transport", "./transport-server.ts", {})),
  ]).catch((err: unknown) => {
    throw new BenchAbort(`the servers did not start: ${err instanceof Error ? err.message : String(err)}`);
  });
  const request = benchCheckRequest(keyward.info.secret);
  const body = writeRequestBody(request, tmpDir);
  for (const [name, port] of [
    ["keyward", keyward.info.authzPort],
    ["null", nul.info.authzPort],
    ["null-decode", nullDecode.info.authzPort],
    ["transport", transport.info.authzPort],
  ] as const) {
    const why = notAllowed(await grpcCheck(port, request));
    if (why)
      throw new BenchAbort(`${name} does not ALLOW the bench request (${why}); nothing would be measured`);
  }
  const empty = await grpcCheck(bare.info.authzPort, request);
  if (empty.status !== undefined || empty.httpResponse.case !== undefined)
    throw new BenchAbort("bare does not answer the bench request with an empty CheckResponse");
  console.log(
    `servers: keyward pid ${keyward.pid} on :${keyward.info.authzPort} (${keyward.info.store}), null pid ${nul.pid} on :${nul.info.authzPort}, null-decode pid ${nullDecode.pid} on :${nullDecode.info.authzPort}, bare pid ${bare.pid} on :${bare.info.authzPort}, transport pid ${transport.pid} on :${transport.info.authzPort}, up in ${((performance.now() - started) / 1000).toFixed(1)} s; request ${body.size} bytes framed; one grpc-js Check to each: ALLOW (bare: empty answer)`,
  );
  return {
    keywardServer: keyward,
    keyward: {
      name: "keyward",
      url: checkUrl(keyward.info.authzPort),
      bodyFile: body.file,
      adminPort: keyward.info.adminPort,
      server: keyward,
    },
    null: { name: "null", url: checkUrl(nul.info.authzPort), bodyFile: body.file, server: nul },
    nullDecode: {
      name: "null-decode",
      url: checkUrl(nullDecode.info.authzPort),
      bodyFile: body.file,
      server: nullDecode,
    },
    bare: { name: "bare", url: checkUrl(bare.info.authzPort), bodyFile: body.file, server: bare },
    transport: {
      name: "transport",
      url: checkUrl(transport.info.authzPort),
      bodyFile: body.file,
      server: transport,
    },
  };
}
