import { afterAll, beforeAll } from "vitest";
import { AdminClients, type KeyAdminClient, type TransportName } from "./admin-clients.js";
import { EnvoyClient } from "./envoy-client.js";
import { startTestApp, type TestApp, type TestAppOptions } from "./test-app.js";

/** A suite's running app with admin clients and a platform admin key (see `useAdminApp`). */
export interface AdminHarness {
  readonly t: TestApp;
  readonly clients: AdminClients;
  /** The secret of a platform admin key (company "platform", scope platform:admin). */
  readonly platformSecret: string;
  /** A client over `transport` acting as the platform admin. */
  platform(transport?: TransportName): KeyAdminClient;
  /** Mints a keys:admin key for `companyId` and returns a client over `transport` acting with it. */
  companyAdmin(companyId: string, transport?: TransportName): Promise<KeyAdminClient>;
}

/** A suite's running app with an Envoy-style Check client (see `useCheckApp`). */
export interface CheckHarness {
  readonly t: TestApp;
  readonly envoy: EnvoyClient;
  /** Every secret minted through `mint`, so a suite can look for leaks at the end. */
  readonly secrets: string[];
  /** Mints a key straight in the store and remembers its secret. */
  mint: TestApp["mintKey"];
}

/**
 * Starts the app before the suite's tests and stops it after them, with admin clients and a platform admin
 * key. Call at the top of a file or `describe`; the returned values are there once its tests run.
 */
export function useAdminApp(options: TestAppOptions = {}): AdminHarness {
  let t: TestApp | undefined;
  let clients: AdminClients | undefined;
  let platformSecret: string | undefined;
  beforeAll(async () => {
    t = await startTestApp(options);
    clients = new AdminClients(t.adminUrl);
    platformSecret = (await t.mintKey({ companyId: "platform", scopes: ["platform:admin"] })).secret;
  });
  afterAll(async () => {
    clients?.close();
    await t?.close();
  });
  const harness: AdminHarness = {
    get t() {
      return started(t);
    },
    get clients() {
      return started(clients);
    },
    get platformSecret() {
      return started(platformSecret);
    },
    platform: (transport = "grpc-h2c") => harness.clients.client(transport, harness.platformSecret),
    async companyAdmin(companyId, transport = "grpc-h2c") {
      const { secret } = await harness.t.mintKey({ companyId, scopes: ["keys:admin"] });
      return harness.clients.client(transport, secret);
    },
  };
  return harness;
}

/** Starts the app before the suite's tests and stops it after them, with a Check client. */
export function useCheckApp(options: TestAppOptions = {}): CheckHarness {
  let t: TestApp | undefined;
  let envoy: EnvoyClient | undefined;
  const secrets: string[] = [];
  beforeAll(async () => {
    t = await startTestApp(options);
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy?.close();
    await t?.close();
  });
  return {
    get t() {
      return started(t);
    },
    get envoy() {
      return started(envoy);
    },
    secrets,
    async mint(spec) {
      const key = await started(t).mintKey(spec);
      secrets.push(key.secret);
      return key;
    },
  };
}

function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("the test app is used before its suite started it");
  return value;
}
