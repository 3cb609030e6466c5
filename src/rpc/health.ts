import { EventEmitter } from "node:events";
import { HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";

export { Status as ServingStatus };

/**
 * Serving status per service name ("" is the whole server), shared by both listeners' grpc.health.v1
 * services. Watchers hear every change.
 */
export class HealthState extends EventEmitter<{ change: [service: string, status: Status] }> {
  private readonly statuses = new Map<string, Status>();

  constructor(services: readonly string[]) {
    super();
    this.setMaxListeners(0);
    for (const s of ["", ...services]) this.statuses.set(s, Status.NOT_SERVING);
  }

  /** The status of `service`, or undefined when it is not served here. */
  get(service: string): Status | undefined {
    return this.statuses.get(service);
  }

  all(): Map<string, Status> {
    return new Map(this.statuses);
  }

  /** Sets every known service to `status`. */
  setAll(status: Status): void {
    for (const service of this.statuses.keys()) {
      this.statuses.set(service, status);
      this.emit("change", service, status);
    }
  }
}
