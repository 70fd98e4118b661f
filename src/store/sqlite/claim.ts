/** @module Picks and starts the next queued task for a node: the SQLite side of `TaskStore.claimNext`. */
import type Database from 'better-sqlite3-multiple-ciphers';
import { PRIORITIES } from '../../protocol/index.js';
import { PRIORITY_RANK, effectiveRank } from '../priority.js';
import { TASK_RETURNING, type TaskRow } from './task-rows.js';

export interface ClaimParams {
  /** JSON arrays of the node's capabilities and tags. */
  caps: string;
  tags: string;
  node: string;
  now: number;
  lease: number;
  aging: number;
}

interface Candidate {
  id: string;
  ready_ms: number;
  seq: number;
  priority_rank: number;
}

/**
 * Returns a function that, inside the caller's IMMEDIATE transaction, moves the best eligible task to
 * `running` and returns its row (or null).
 * Within one priority the oldest eligible task always ranks best, since aging only ever improves
 * with age; so the winner is among the oldest eligible task of each of the four priorities. Four
 * index-ordered lookups replace a sort of the whole queue, which keeps a claim cheap with thousands
 * of tasks queued; they run as one statement (UNION ALL), a third of the cost of four statements.
 * The final comparison uses `effectiveRank`, the rule every backend shares.
 */
export function prepareClaim(db: Database.Database): (o: ClaimParams) => TaskRow | null {
  const oldestOf = (rank: number) => `SELECT * FROM (
    SELECT t.id, t.ready_ms, t.seq, t.priority_rank FROM tasks t
    WHERE t.status = 'queued' AND t.priority_rank = ${rank}
      AND NOT EXISTS (SELECT 1 FROM json_each(t.capabilities) c
                      WHERE c.value NOT IN (SELECT value FROM json_each(@caps)))
      AND NOT EXISTS (SELECT 1 FROM json_each(COALESCE(t.tags, '[]')) g
                      WHERE g.value NOT IN (SELECT value FROM json_each(@tags)))
    ORDER BY t.ready_ms, t.seq
    LIMIT 1)`;
  const oldest = db.prepare<[{ caps: string; tags: string }], Candidate>(
    PRIORITIES.map((p) => oldestOf(PRIORITY_RANK[p])).join('\n    UNION ALL '),
  );
  const start = db.prepare<[Record<string, unknown>], TaskRow>(`UPDATE tasks SET status = 'running',
      node_id = @node, attempt = attempt + 1, started_at = @started_at, finished_at = NULL,
      lease_expires_ms = @expires
    WHERE id = @id AND status = 'queued'
    RETURNING ${TASK_RETURNING}`);
  const priorityOf = new Map(PRIORITIES.map((p) => [PRIORITY_RANK[p], p]));

  return (o) => {
    let best: { c: Candidate; rank: number } | undefined;
    for (const c of oldest.all({ caps: o.caps, tags: o.tags })) {
      const rank = effectiveRank(priorityOf.get(c.priority_rank)!, o.now - c.ready_ms, o.aging);
      const better =
        best === undefined ||
        rank < best.rank ||
        (rank === best.rank &&
          (c.ready_ms < best.c.ready_ms || (c.ready_ms === best.c.ready_ms && c.seq < best.c.seq)));
      if (better) best = { c, rank };
    }
    if (best === undefined) return null;
    const row = start.get({
      id: best.c.id,
      node: o.node,
      started_at: new Date(o.now).toISOString(),
      expires: o.now + o.lease,
    });
    return row ?? null;
  };
}
