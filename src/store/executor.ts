import type { Kysely, Transaction } from "kysely";
import type { DatabaseSchema } from "./schema/index.js";

/** Something queries run on: the database itself or an open transaction. */
export type Executor = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;
