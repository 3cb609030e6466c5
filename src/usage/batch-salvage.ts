import { rowCount, splitBatch, type TrafficBatch } from "./traffic-batch.js";

/** What salvaging a refused batch did. */
export interface SalvageResult {
  /** Parts not written because the database stopped answering: keep them for the next flush. */
  kept: TrafficBatch[];
  /** Rows the database refused on their own while it accepted others: they can never be written. */
  dropped: number;
  /** Why the last refused row was refused. */
  lastError: unknown;
}

/**
 * Writes what it can of a batch the database keeps refusing while it answers: the batch is split in halves,
 * each half written in its own transaction, and a refused half split again, down to single rows. A row
 * refused on its own is dropped, but only when other rows went in (so the fault is that row's, not the
 * table's or the database's); when nothing goes in at all, the whole batch is kept. When the database stops
 * answering midway, what is left is kept.
 */
export async function salvageBatch(
  batch: TrafficBatch,
  write: (b: TrafficBatch) => Promise<void>,
  reachable: () => Promise<boolean>,
): Promise<SalvageResult> {
  const kept: TrafficBatch[] = [];
  const refused: TrafficBatch[] = [];
  let written = 0;
  let lastError: unknown;
  const visit = async (b: TrafficBatch): Promise<void> => {
    const halves = splitBatch(b);
    if (!halves) {
      refused.push(b);
      return;
    }
    for (const half of halves) {
      try {
        await write(half);
        written++;
      } catch (err) {
        lastError = err;
        if (await reachable()) await visit(half);
        else kept.push(half);
      }
    }
  };
  await visit(batch);
  if (written === 0) return { kept: [batch], dropped: 0, lastError };
  return { kept, dropped: refused.reduce((n, b) => n + rowCount(b), 0), lastError };
}
