/** @module R9.2: warns when a cron job could outlive a timeout that would cut its connection or task. */
import type { ResolvedConfig } from '../config/index.js';
import type { CronJob } from '../protocol/index.js';

export interface TimeoutWarning {
  job: string;
  timeout: number;
  limit: string;
  limit_s: number;
  message: string;
}

export function timeoutWarnings(
  cfg: ResolvedConfig,
  jobs: Array<Pick<CronJob, 'name' | 'template'>>,
): TimeoutWarning[] {
  const limits: Array<[string, number]> = [
    ['tasks.default_timeout', cfg.tasks.default_timeout],
    ['gateway.websocket.idle_timeout', cfg.gateway.websocket.idle_timeout],
    ['gateway.proxy_read_timeout', cfg.gateway.proxy_read_timeout],
  ];
  const out: TimeoutWarning[] = [];
  for (const job of jobs) {
    // A job without its own timeout runs under tasks.default_timeout, which then cannot be exceeded.
    const timeout = job.template.timeout ?? cfg.tasks.default_timeout;
    if (!timeout) continue;
    for (const [limit, value] of limits) {
      if (
        value > 0 &&
        timeout > value &&
        !(limit === 'tasks.default_timeout' && job.template.timeout === undefined)
      ) {
        out.push({
          job: job.name,
          timeout,
          limit,
          limit_s: value,
          message: `cron job ${job.name} may run ${timeout} s, longer than ${limit} (${value} s); raise ${limit} or lower the job's timeout, or the run can be cut off`,
        });
      }
    }
  }
  const ping = cfg.gateway.websocket.ping_interval;
  if (cfg.gateway.proxy_read_timeout > 0 && ping >= cfg.gateway.proxy_read_timeout) {
    out.push({
      job: '*',
      timeout: ping,
      limit: 'gateway.proxy_read_timeout',
      limit_s: cfg.gateway.proxy_read_timeout,
      message: `gateway.websocket.ping_interval (${ping} s) is not below gateway.proxy_read_timeout (${cfg.gateway.proxy_read_timeout} s): idle connections will be cut by the proxy`,
    });
  }
  return out;
}
