// `npm run build`, last step: the initialised data dir new embedded stores start from (see
// src/store/pglite-template-build.ts). Runs from the compiled code, so it needs `tsc` first.

import { TEMPLATE_DIR } from "../dist/store/pglite-template.js";
import { buildPGliteTemplate } from "../dist/store/pglite-template-build.js";

const started = performance.now();
const result = await buildPGliteTemplate();
const took = ((performance.now() - started) / 1000).toFixed(1);
console.error(`pglite template ${result === "built" ? `built in ${took} s` : "is current"}: ${TEMPLATE_DIR}`);
