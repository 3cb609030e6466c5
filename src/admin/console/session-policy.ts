import type { SessionRecord } from "../../store/session-repository.js";

/** A session left unused this long ends, whatever its lifetime. */
export const IDLE_TIMEOUT_MS = 3_600_000;

/** Use is written back at most this often, so a busy page does not write on every call. */
export const TOUCH_EVERY_MS = 60_000;

/** Whether a session is still alive at `now`: before its end, and used within the idle timeout. */
export function sessionAlive(session: SessionRecord, now: number, idleMs = IDLE_TIMEOUT_MS): boolean {
  return now < session.expireTime.getTime() && now < session.lastSeenTime.getTime() + idleMs;
}

/** Whether the last use is old enough to be written again. */
export function needsTouch(session: SessionRecord, now: number): boolean {
  return now - session.lastSeenTime.getTime() >= TOUCH_EVERY_MS;
}
