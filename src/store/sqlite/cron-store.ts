/**
 * @module SQLite CronStore: jobs, and one row per (job, slot) whose primary key makes a claim unique.
 * The batch operations (claimSlots, markEnqueued, recordEnds, pruneAll) each run as one IMMEDIATE
 * transaction, so a tick of 1,000 jobs costs one commit, and the overlap decision reads and writes
 * the job's runs atomically.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { CronJob, CronRun, CronRunStatus } from '../../protocol/index.js';
import type { CronRunClaim, CronRunPatch, CronStore } from '../types.js';
import { runMigrations, type Migration } from './migrations.js';
import { durableWrite, NO_BARRIER, type Durable } from './durable-write.js';
import { guard } from './sqlite-errors.js';

const CRON_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'cron jobs and runs',
    up(db) {
      db.exec(`
        CREATE TABLE cron_jobs (
          id         TEXT PRIMARY KEY,
          name       TEXT NOT NULL UNIQUE,
          job_json   TEXT NOT NULL,
          last_slot  TEXT
        ) STRICT;
        CREATE TABLE cron_runs (
          job_id      TEXT NOT NULL REFERENCES cron_jobs (id) ON DELETE CASCADE,
          slot        TEXT NOT NULL,
          status      TEXT NOT NULL,
          task_id     TEXT,
          fired_at    TEXT,
          finished_at TEXT,
          late_ms     REAL,
          duration_ms REAL,
          error       TEXT,
          PRIMARY KEY (job_id, slot)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX cron_runs_by_status ON cron_runs (status, job_id, slot);
        CREATE INDEX cron_runs_by_task ON cron_runs (task_id) WHERE task_id IS NOT NULL;
      `);
    },
  },
];

interface RunRow {
  job_id: string;
  slot: string;
  status: string;
  task_id: string | null;
  fired_at: string | null;
  finished_at: string | null;
  late_ms: number | null;
  duration_ms: number | null;
  error: string | null;
}

const ACTIVE: readonly CronRunStatus[] = ['claimed', 'pending', 'enqueued'];
const ENDED = `('skipped','missed','succeeded','failed','cancelled','timed_out')`;

/** One slot to claim (see claimSlots). Mirrors the cron layer's SlotClaim, which cannot be imported here. */
export interface SqliteSlotClaim {
  job_id: string;
  slot: string;
  late_ms: number | null;
  overlap: 'skip' | 'queue' | 'allow';
  missed?: boolean;
}

export interface SqliteRunEnd {
  job_id: string;
  slot: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  task_id: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
}

function toRun(r: RunRow): CronRun {
  return { ...r, status: r.status as CronRunStatus };
}

export class SqliteCronStore implements CronStore {
  readonly #db: Database.Database;
  readonly #claim: Database.Statement;
  readonly #lastSlot: Database.Statement;
  readonly #enqueued: Database.Statement;
  readonly #end: Database.Statement;
  readonly #promote: Database.Statement;
  readonly #durable: Durable;
  constructor(db: Database.Database, durable: Durable = NO_BARRIER) {
    this.#db = db;
    this.#durable = durable;
    runMigrations(db, CRON_MIGRATIONS, { component: 'cron' });
    // The status is decided inside the INSERT, so no other writer can slip in between the look at
    // the job's running runs and the claim (another tick, a task end, another gateway process).
    this.#claim = db.prepare(`
      INSERT INTO cron_runs (job_id, slot, status, late_ms)
      SELECT @job_id, @slot,
        CASE
          WHEN @missed = 1 THEN 'missed'
          WHEN @overlap = 'allow' OR NOT EXISTS (SELECT 1 FROM cron_runs r
            WHERE r.job_id = @job_id AND r.status IN ('claimed','pending','enqueued')) THEN 'claimed'
          WHEN @overlap = 'skip' THEN 'skipped'
          ELSE 'pending'
        END, @late_ms
      WHERE EXISTS (SELECT 1 FROM cron_jobs WHERE id = @job_id)
      ON CONFLICT (job_id, slot) DO NOTHING
      RETURNING *`);
    this.#lastSlot = db.prepare(
      'UPDATE cron_jobs SET last_slot = @slot WHERE id = @job_id AND (last_slot IS NULL OR last_slot < @slot)',
    );
    this.#enqueued = db.prepare(`
      UPDATE cron_runs SET
        status = CASE WHEN status = 'claimed' THEN 'enqueued' ELSE status END,
        task_id = @task_id, fired_at = COALESCE(fired_at, @fired_at)
      WHERE job_id = @job_id AND slot = @slot`);
    this.#end = db.prepare(`
      UPDATE cron_runs SET status = @status, task_id = COALESCE(@task_id, task_id),
        finished_at = @finished_at, duration_ms = @duration_ms, error = @error
      WHERE job_id = @job_id AND slot = @slot AND status IN ('claimed','enqueued')
      RETURNING *`);
    this.#promote = db.prepare(`
      UPDATE cron_runs SET status = 'claimed'
      WHERE job_id = @job_id AND slot = (SELECT slot FROM cron_runs WHERE job_id = @job_id AND status = 'pending' ORDER BY slot LIMIT 1)
        AND NOT EXISTS (SELECT 1 FROM cron_runs WHERE job_id = @job_id AND status IN ('claimed','enqueued'))
      RETURNING *`);
  }

  /** Runs one write and resolves once it is durable. */
  #write<T>(fn: () => T): Promise<T> {
    return durableWrite(this.#durable, fn);
  }

  async claimSlots(
    claims: readonly SqliteSlotClaim[],
    lastSlots: ReadonlyArray<{ job_id: string; slot: string }>,
  ): Promise<CronRun[]> {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          const out: CronRun[] = [];
          for (const c of claims) {
            const row = this.#claim.get({
              job_id: c.job_id,
              slot: c.slot,
              late_ms: c.late_ms,
              overlap: c.overlap,
              missed: c.missed ? 1 : 0,
            }) as RunRow | undefined;
            if (row) out.push(toRun(row));
          }
          for (const l of lastSlots) this.#lastSlot.run(l);
          return out;
        })
        .immediate(),
    );
  }

  async markEnqueued(
    marks: ReadonlyArray<{ job_id: string; slot: string; task_id: string; fired_at: string }>,
  ): Promise<void> {
    if (marks.length === 0) return;
    await this.#write(() =>
      this.#db
        .transaction(() => {
          for (const m of marks) this.#enqueued.run(m);
        })
        .immediate(),
    );
  }

  async recordEnds(ends: readonly SqliteRunEnd[]): Promise<{ ended: CronRun[]; promoted: CronRun[] }> {
    if (ends.length === 0) return { ended: [], promoted: [] };
    return this.#write(() =>
      this.#db
        .transaction(() => {
          const ended: CronRun[] = [];
          const promoted: CronRun[] = [];
          const jobs = new Set<string>();
          for (const e of ends) {
            const row = this.#end.get(e) as RunRow | undefined;
            if (!row) continue;
            ended.push(toRun(row));
            jobs.add(e.job_id);
          }
          for (const job_id of jobs) {
            const row = this.#promote.get({ job_id }) as RunRow | undefined;
            if (row) promoted.push(toRun(row));
          }
          return { ended, promoted };
        })
        .immediate(),
    );
  }

  async pruneAll(keep: number): Promise<void> {
    await this.#write(() =>
      this.#db
        .transaction(() => {
          const ids = this.#db.prepare('SELECT id FROM cron_jobs').pluck().all() as string[];
          const cutoff = this.#db.prepare(
            `SELECT slot FROM cron_runs WHERE job_id = ? AND status IN ${ENDED} ORDER BY slot DESC LIMIT 1 OFFSET ?`,
          );
          const del = this.#db.prepare(
            `DELETE FROM cron_runs WHERE job_id = ? AND status IN ${ENDED} AND slot <= ?`,
          );
          for (const id of ids) {
            const slot = cutoff.pluck().get(id, keep) as string | undefined;
            if (slot !== undefined) del.run(id, slot);
          }
        })
        .immediate(),
    );
  }

  #job(row: { job_json: string; last_slot: string | null } | undefined): CronJob | null {
    if (!row) return null;
    return { ...(JSON.parse(row.job_json) as CronJob), last_slot: row.last_slot };
  }

  async upsertJob(job: CronJob): Promise<CronJob> {
    const { last_slot, ...rest } = job;
    await this.#write(() =>
      this.#db
        .prepare(
          `INSERT INTO cron_jobs (id, name, job_json, last_slot) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, job_json = excluded.job_json`,
        )
        .run(job.id, job.name, JSON.stringify(rest), last_slot),
    );
    return (await this.getJob(job.id))!;
  }

  async getJob(idOrName: string): Promise<CronJob | null> {
    return this.#job(
      guard(() =>
        this.#db
          .prepare('SELECT job_json, last_slot FROM cron_jobs WHERE id = ? OR name = ?')
          .get(idOrName, idOrName),
      ) as { job_json: string; last_slot: string | null } | undefined,
    );
  }

  async listJobs(): Promise<CronJob[]> {
    const rows = guard(() =>
      this.#db.prepare('SELECT job_json, last_slot FROM cron_jobs ORDER BY name').all(),
    ) as Array<{
      job_json: string;
      last_slot: string | null;
    }>;
    return rows.map((r) => this.#job(r)!);
  }

  async removeJob(id: string): Promise<boolean> {
    return (
      (await this.#write(() => this.#db.prepare('DELETE FROM cron_jobs WHERE id = ?').run(id))).changes > 0
    );
  }

  async setLastSlot(id: string, slot: string): Promise<void> {
    await this.#write(() =>
      this.#db
        .prepare('UPDATE cron_jobs SET last_slot = ? WHERE id = ? AND (last_slot IS NULL OR last_slot < ?)')
        .run(slot, id, slot),
    );
  }

  async claimRun(c: CronRunClaim): Promise<boolean> {
    const res = await this.#write(() =>
      this.#db
        .prepare(
          `INSERT INTO cron_runs (job_id, slot, status, late_ms) SELECT ?, ?, ?, ?
           WHERE EXISTS (SELECT 1 FROM cron_jobs WHERE id = ?) ON CONFLICT (job_id, slot) DO NOTHING`,
        )
        .run(c.job_id, c.slot, c.status, c.late_ms, c.job_id),
    );
    return res.changes === 1;
  }

  async getRun(jobId: string, slot: string): Promise<CronRun | null> {
    const r = guard(() =>
      this.#db.prepare('SELECT * FROM cron_runs WHERE job_id = ? AND slot = ?').get(jobId, slot),
    ) as RunRow | undefined;
    return r ? toRun(r) : null;
  }

  async updateRun(jobId: string, slot: string, patch: CronRunPatch): Promise<CronRun | null> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (entries.length > 0) {
      const cols = entries.map(([k]) => `${k} = ?`).join(', ');
      await this.#write(() =>
        this.#db
          .prepare(`UPDATE cron_runs SET ${cols} WHERE job_id = ? AND slot = ?`)
          .run(...entries.map(([, v]) => v as never), jobId, slot),
      );
    }
    return this.getRun(jobId, slot);
  }

  async runsByStatus(statuses: readonly CronRunStatus[], jobId?: string): Promise<CronRun[]> {
    const marks = statuses.map(() => '?').join(',');
    const rows = guard(() =>
      jobId === undefined
        ? this.#db
            .prepare(`SELECT * FROM cron_runs WHERE status IN (${marks}) ORDER BY slot`)
            .all(...statuses)
        : this.#db
            .prepare(`SELECT * FROM cron_runs WHERE status IN (${marks}) AND job_id = ? ORDER BY slot`)
            .all(...statuses, jobId),
    ) as RunRow[];
    return rows.map(toRun);
  }

  activeRuns(jobId: string): Promise<CronRun[]> {
    return this.runsByStatus(ACTIVE, jobId);
  }

  async runByTask(taskId: string): Promise<CronRun | null> {
    const r = guard(() => this.#db.prepare('SELECT * FROM cron_runs WHERE task_id = ?').get(taskId)) as
      RunRow | undefined;
    return r ? toRun(r) : null;
  }

  async listRuns(jobId: string, limit: number): Promise<CronRun[]> {
    const rows = guard(() =>
      this.#db
        .prepare('SELECT * FROM cron_runs WHERE job_id = ? ORDER BY slot DESC LIMIT ?')
        .all(jobId, limit),
    ) as RunRow[];
    return rows.map(toRun);
  }

  async pruneRuns(jobId: string, keep: number): Promise<void> {
    await this.#write(() =>
      this.#db
        .prepare(
          `DELETE FROM cron_runs WHERE job_id = ? AND status IN ${ENDED} AND slot NOT IN
           (SELECT slot FROM cron_runs WHERE job_id = ? AND status IN ${ENDED} ORDER BY slot DESC LIMIT ?)`,
        )
        .run(jobId, jobId, keep),
    );
  }
}
