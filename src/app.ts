import { startAdminServer } from "./admin/admin-server.js";
import { adminAuthInterceptor } from "./admin/authenticate.js";
import { consoleParts } from "./admin/console/console-wiring.js";
import type { DualListener } from "./admin/dual-listener.js";
import { keyAdminService } from "./admin/key-admin-service.js";
import { observeInterceptor } from "./admin/observe.js";
import { AuthzServer } from "./authz/authz-server.js";
import type { AppContext } from "./context.js";
import { Authorization } from "./gen/envoy/service/auth/v3/external_auth_pb.js";
import { Health } from "./gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "./gen/grpc/reflection/v1/reflection_pb.js";
import { KeyAdminService } from "./gen/keyward/admin/v1/key_admin_pb.js";
import { leakRoutes } from "./leaks/leak-routes.js";
import { listenOrExplain } from "./listen-error.js";
import { HealthState, ServingStatus } from "./rpc/health.js";
import { ReflectionIndex } from "./rpc/reflection.js";
import { openChangeFeed } from "./store/change-feed.js";
import { writeServerHandle } from "./store/data-dir.js";
import { embeddedDataDir } from "./store/database-target.js";
import { withDeadline } from "./store/db-errors.js";

type Cleanup = () => Promise<void> | void;

/** The running service: both listeners over one context, and what they need running beside them. */
export class App {
  private constructor(
    readonly ctx: AppContext,
    readonly authz: AuthzServer,
    readonly admin: DualListener,
    readonly health: HealthState,
    private readonly cleanups: Cleanup[],
  ) {}

  /**
   * Starts the usage writer, the change feed and both listeners over `ctx`, which the app then owns: it is
   * closed on `destroy()`, or at once when starting fails. When `stop` aborts, start unwinds at its next step
   * (each step finishes whole) and rejects.
   */
  static async start(ctx: AppContext, stop?: AbortSignal): Promise<App> {
    const { config, logger } = ctx;
    // Run in reverse on the way down: last started, first stopped.
    const cleanups: Cleanup[] = [() => ctx.close()];
    try {
      stop?.throwIfAborted();
      // Reads the GitHub scanning-keys file: an unusable one stops the start before anything listens.
      const leaks = leakRoutes(ctx);
      ctx.traffic.start(1000);
      cleanups.unshift(() => ctx.traffic.stop());
      await ctx.events.start();
      cleanups.unshift(() => ctx.events.stop());
      const retention = ctx.retention;
      if (retention) {
        retention.start();
        cleanups.unshift(() => retention.stop());
      }
      const feedState = (up: boolean) => {
        ctx.metrics.changeFeedConnected.set(up ? 1 : 0);
        // A lost feed may be the first sign of a database that is down: one probe says.
        if (!up) ctx.databaseHealth.suspect();
      };
      const feed = await openChangeFeed(ctx.database, ctx.cache.followFeed(feedState), logger);
      cleanups.unshift(() => feed.stop());
      stop?.throwIfAborted();
      const health = new HealthState([Authorization.typeName, KeyAdminService.typeName]);
      // While the database is down, Checks cannot be answered: health says NOT_SERVING.
      const databaseFault = (down: boolean) => health.setFault("database", down);
      ctx.databaseHealth.on("change", databaseFault);
      cleanups.unshift(() => {
        ctx.databaseHealth.off("change", databaseFault);
      });
      const authz = await listenOrExplain("authz", config.authzListen, () =>
        AuthzServer.start({
          listen: config.authzListen,
          check: ctx.check,
          forward: ctx.forward,
          health: health.view([Authorization.typeName]),
          reflection: new ReflectionIndex([Authorization, Health, ServerReflection]),
          logger,
          metrics: ctx.metrics,
          limits: config.connections,
        }),
      );
      cleanups.unshift(() => authz.close(2000));
      stop?.throwIfAborted();
      const consoleApp = consoleParts(ctx);
      const admin = await listenOrExplain("admin", config.adminListen, () =>
        startAdminServer({
          listen: config.adminListen,
          keyAdmin: keyAdminService(ctx),
          interceptors: [
            observeInterceptor(ctx.metrics, logger, ctx.databaseHealth),
            ...(consoleApp ? [consoleApp.interceptor] : []),
            adminAuthInterceptor({ ...ctx, verifier: ctx.adminVerifier }),
          ],
          health: health.view([KeyAdminService.typeName]),
          reflection: new ReflectionIndex([KeyAdminService, Health, ServerReflection]),
          metrics: ctx.metrics,
          ready: async () =>
            !ctx.databaseHealth.down &&
            withDeadline(
              ctx.database.isMigrated(),
              Math.max(ctx.database.boundsMs.readiness, config.lookupTimeoutMs ?? 0),
              "readiness check",
            ),
          adminAuth: config.dev ? "dev" : "on",
          logger,
          console: consoleApp?.routes,
          leaks,
          limits: config.connections,
        }),
      );
      cleanups.unshift(() => admin.close());
      const dataDir = embeddedDataDir(config.store);
      if (dataDir && ctx.localToken) {
        const host = config.adminListen.host;
        const adminUrl = `http://${host.includes(":") ? `[${host}]` : host}:${admin.port}`;
        cleanups.unshift(writeServerHandle(dataDir, { pid: process.pid, adminUrl, token: ctx.localToken }));
      }
      stop?.throwIfAborted();
      if (config.dev) logger.warn("--dev: the admin API accepts calls WITHOUT an admin key (loopback only)");
      health.setAll(ServingStatus.SERVING);
      logger.info(
        {
          authz: `${config.authzListen.host}:${authz.port}`,
          admin: `${config.adminListen.host}:${admin.port}`,
        },
        "keyward serving",
      );
      return new App(ctx, authz, admin, health, cleanups);
    } catch (err) {
      await runAll(cleanups);
      throw err;
    }
  }

  /** Says NOT_SERVING (load balancers and Envoy take this replica out) and keeps answering for `ms`. */
  async drain(ms: number): Promise<void> {
    this.health.setAll(ServingStatus.NOT_SERVING);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Graceful stop: report not serving, stop accepting, finish in-flight calls, flush, close the store. */
  async destroy(): Promise<void> {
    this.health.setAll(ServingStatus.NOT_SERVING);
    await runAll(this.cleanups.splice(0));
  }
}

async function runAll(steps: Cleanup[]): Promise<void> {
  for (const step of steps) await step();
}
