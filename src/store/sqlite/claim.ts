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
}

/**
 * Returns a function that, inside the caller's IMMEDIATE transaction, moves the best eligible task to
 * `running` and returns its row (or null).
 * Within one priority the oldest eligible task always ranks best, since aging only ever improves
 * with age; so the winner is among the oldest eligible task of each of the four priorities. Four
 * index-ordered lookups replace a sort of the whole queue, which keeps a claim cheap with thousands
 * of tasks queued. The final comparison uses `effectiveRank`, the rule every backend shares.
 */
export function prepareClaim(db: Database.Database): (o: ClaimParams) => TaskRow | null {
  const oldest = db.prepare<[number, string, string], Candidate>(`
    SELECT t.id, t.ready_ms, t.seq FROM tasks t
    WHERE t.status = 'queued' AND t.priority_rank = ?
      AND NOT EXISTS (SELECT 1 FROM json_each(t.capabilities) c
                      WHERE c.value NOT IN (SELECT value FROM json_each(?)))
      AND NOT EXISTS (SELECT 1 FROM json_each(COALESCE(t.tags, '[]')) g
                      WHERE g.value NOT IN (SELECT value FROM json_each(?)))
    ORDER BY t.ready_ms, t.seq
    LIMIT 1`);
  const start = db.prepare<[Record<string, unknown>], TaskRow>(`UPDATE tasks SET status = 'running',
      node_id = @node, attempt = attempt + 1, started_at = @started_at, finished_at = NULL,
      lease_expires_ms = @expires
    WHERE id = @id AND status = 'queued'
    RETURNING ${TASK_RETURNING}`);

  return (o) => {
    let best: { c: Candidate; rank: number } | undefined;
    for (const priority of PRIORITIES) {
      const c = oldest.get(PRIORITY_RANK[priority], o.caps, o.tags);
      if (c === undefined) continue;
      const rank = effectiveRank(priority, o.now - c.ready_ms, o.aging);
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
