import { EventEmitter } from "node:events";
import { HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";

export { Status as ServingStatus };

/** What a listener's grpc.health.v1 service reads: the statuses of the services that listener serves. */
export interface HealthSource {
  /** The status of `service`, or undefined when it is not served here (NOT_FOUND). */
  get(service: string): Status | undefined;
  all(): Map<string, Status>;
  on(event: "change", listener: (service: string, status: Status) => void): unknown;
  off(event: "change", listener: (service: string, status: Status) => void): unknown;
}

/**
 * Serving status per service name ("" is the whole server). A service is SERVING when the process says so
 * (`setAll`: after start, until shutdown) and no fault is active (`setFault`: the database is down, so Checks
 * cannot be answered). Watchers hear every change.
 */
export class HealthState
  extends EventEmitter<{ change: [service: string, status: Status] }>
  implements HealthSource
{
  private readonly statuses = new Map<string, Status>();
  private base = Status.NOT_SERVING;
  private readonly faults = new Set<string>();

  constructor(services: readonly string[]) {
    super();
    this.setMaxListeners(0);
    for (const s of ["", ...services]) this.statuses.set(s, Status.NOT_SERVING);
  }

  get(service: string): Status | undefined {
    return this.statuses.get(service);
  }

  all(): Map<string, Status> {
    return new Map(this.statuses);
  }

  /** Sets what every known service reports when no fault is active. */
  setAll(status: Status): void {
    this.base = status;
    this.publish();
  }

  /** Turns a named fault on or off; while any is on, every service is NOT_SERVING. */
  setFault(name: string, on: boolean): void {
    if (on) this.faults.add(name);
    else this.faults.delete(name);
    this.publish();
  }

  /** The statuses one listener answers for: `served` (and ""); any other name is NOT_FOUND there. */
  view(served: readonly string[]): HealthSource {
    const names = new Set(["", ...served]);
    return {
      get: (service) => (names.has(service) ? this.get(service) : undefined),
      all: () => new Map([...this.statuses].filter(([name]) => names.has(name))),
      on: (event, listener) => this.on(event, listener),
      off: (event, listener) => this.off(event, listener),
    };
  }

  private publish(): void {
    const status = this.faults.size > 0 ? Status.NOT_SERVING : this.base;
    for (const [service, current] of this.statuses) {
      if (current === status) continue;
      this.statuses.set(service, status);
      this.emit("change", service, status);
    }
  }
}
