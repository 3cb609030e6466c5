import { randomBytes } from "node:crypto";
import { Client, credentials } from "@grpc/grpc-js";
import pg from "pg";
import type { CheckRequest, CheckResponse } from "../../src/gen/envoy/service/auth/v3/external_auth_pb.js";
import { Authorization } from "../../src/gen/envoy/service/auth/v3/external_auth_pb.js";
import { benchCheckRequest } from "../check-request.js";
import type { BenchChild } from "../child-process.js";
import { grpcMethod } from "../grpc-js-method.js";
import type { KeywardServerInfo } from "../keyward-server.js";
import { latencyStats } from "../latency.js";
import { ms } from "../report.js";
import type { Scenario } from "../scenario.js";

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";

/**
 * Two replicas on one PostgreSQL schema. For each of N keys: replica B checks it (so B has it cached), the
 * key is revoked through replica A's admin API, and B is asked again and again until it denies. The delay is
 * measured from A's answer (the revocation committed) to B's first denial.
 */
export const revocationPropagation: Scenario = {
  id: "revocation-propagation",
  title: "revocation propagation between two replicas on one PostgreSQL",
  async run(ctx) {
    const url = ctx.settings.databaseUrl ?? DEFAULT_URL;
    const count = ctx.settings.quick ? 30 : 120;
    const schema = `bench_rev_${randomBytes(5).toString("hex")}`;
    const pepper = randomBytes(32).toString("hex");
    try {
      await adminQuery(url, `create schema "${schema}"`);
    } catch (err) {
      return skipped(
        this.title,
        `no PostgreSQL at ${url} (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    const replicas: BenchChild<KeywardServerInfo>[] = [];
    try {
      const a = await ctx.startKeyward({ databaseUrl: url, schema, pepper });
      replicas.push(a);
      const b = await ctx.startKeyward({ databaseUrl: url, schema, pepper });
      replicas.push(b);
      const admin = await a.call<{ secret: string }>("mintKey", {
        scopes: ["keys:admin"],
        name: "bench admin",
      });
      const checker = new Checker(b.info.authzPort);
      const delays: number[] = [];
      const problems: string[] = [];
      try {
        for (let i = 0; i < count; i++) {
          const key = await a.call<{ keyId: string; secret: string }>("mintKey", {});
          const request = benchCheckRequest(key.secret);
          if ((await checker.check(request)).status?.code !== 0) {
            problems.push(`replica B did not allow fresh key ${key.keyId}`);
            continue;
          }
          let committedAt = 0;
          let deniedAt = 0;
          const revoke = revokeKey(a.info.adminPort, admin.secret, key.keyId).then(() => {
            committedAt = performance.now();
          });
          const deadline = performance.now() + 5000;
          while (performance.now() < deadline) {
            if ((await checker.check(request)).status?.code !== 0) {
              deniedAt = performance.now();
              break;
            }
          }
          await revoke;
          if (!deniedAt) problems.push(`replica B still allowed revoked key ${key.keyId} after 5 s`);
          else delays.push(Math.max(0, deniedAt - committedAt) * 1000);
        }
      } finally {
        checker.close();
      }
      const stats = latencyStats(delays);
      if (stats && stats.p99 > 100) problems.push(`p99 ${stats.p99.toFixed(1)} ms is over the 100 ms target`);
      return {
        title: this.title,
        params: [
          ["revocations", String(count)],
          ["store", "postgresql"],
        ],
        columns: ["revocations seen", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        rows: [[String(delays.length), ms(stats?.p50), ms(stats?.p90), ms(stats?.p99), ms(stats?.max)]],
        notes: [
          "delay = replica A's RevokeKey answer (committed) → replica B's first denial; B polls continuously",
          "the target is p99 <= 100 ms",
        ],
        problems,
      };
    } finally {
      // The replicas write their last usage figures as they stop: stop them before their schema goes.
      await Promise.allSettled(replicas.map((r) => r.stop()));
      await adminQuery(url, `drop schema if exists "${schema}" cascade`).catch(() => {});
    }
  },
};

function skipped(title: string, why: string) {
  return { title, params: [], columns: ["result"], rows: [["not run"]], notes: [why], problems: [] };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function revokeKey(adminPort: number, adminKey: string, keyId: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/keyward.admin.v1.KeyAdminService/RevokeKey`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ keyId, reason: "bench" }),
  });
  if (!res.ok) throw new Error(`RevokeKey answered ${res.status}: ${await res.text()}`);
}

/** One long-lived grpc-js connection to a replica's Check, as Envoy keeps. */
class Checker {
  private readonly client: Client;
  private readonly method;

  constructor(port: number) {
    const [check] = Authorization.methods;
    if (!check) throw new Error("Authorization service has no Check method");
    this.method = grpcMethod(check);
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  check(request: CheckRequest): Promise<CheckResponse> {
    return new Promise((resolve, reject) =>
      this.client.makeUnaryRequest(
        this.method.path,
        this.method.requestSerialize,
        this.method.responseDeserialize,
        request,
        { deadline: Date.now() + 5000 },
        (err, res) => (err || !res ? reject(err) : resolve(res as CheckResponse)),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}
