/**
 * Child entry: times the host-speed reference in a process that has loaded nothing else, and prints the
 * milliseconds. In the bench's own process the same loop ran 2–3× slower once the scenarios' imports were
 * loaded, which would have read as a slow host.
 */
import { referenceMs } from "./host-speed.js";

console.log(referenceMs().toFixed(3));
