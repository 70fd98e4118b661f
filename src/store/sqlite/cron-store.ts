/** @module SQLite CronStore: jobs, and one row per (job, slot) whose primary key makes a claim unique. */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { CronJob, CronRun, CronRunStatus } from '../../protocol/index.js';
import type { CronRunClaim, CronRunPatch, CronStore } from '../types.js';
import { runMigrations, type Migration } from './migrations.js';
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

function toRun(r: RunRow): CronRun {
  return { ...r, status: r.status as CronRunStatus };
}

export class SqliteCronStore implements CronStore {
  readonly #db: Database.Database;
  constructor(db: Database.Database) {
    this.#db = db;
    runMigrations(db, CRON_MIGRATIONS, { component: 'cron' });
  }

  #job(row: { job_json: string; last_slot: string | null } | undefined): CronJob | null {
    if (!row) return null;
    return { ...(JSON.parse(row.job_json) as CronJob), last_slot: row.last_slot };
  }

  async upsertJob(job: CronJob): Promise<CronJob> {
    const { last_slot, ...rest } = job;
    guard(() =>
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
    return guard(() => this.#db.prepare('DELETE FROM cron_jobs WHERE id = ?').run(id)).changes > 0;
  }

  async setLastSlot(id: string, slot: string): Promise<void> {
    guard(() =>
      this.#db
        .prepare('UPDATE cron_jobs SET last_slot = ? WHERE id = ? AND (last_slot IS NULL OR last_slot < ?)')
        .run(slot, id, slot),
    );
  }

  async claimRun(c: CronRunClaim): Promise<boolean> {
    const res = guard(() =>
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
      guard(() =>
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
    guard(() =>
      this.#db
        .prepare(
          `DELETE FROM cron_runs WHERE job_id = ? AND status IN ${ENDED} AND slot NOT IN
           (SELECT slot FROM cron_runs WHERE job_id = ? AND status IN ${ENDED} ORDER BY slot DESC LIMIT ?)`,
        )
        .run(jobId, jobId, keep),
    );
  }
}
