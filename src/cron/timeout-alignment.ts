/** @module R9.2: warns when a cron job could outlive a timeout that would cut its connection or task. */
import type { ResolvedConfig } from '../config/index.js';
import type { CronJob } from '../protocol/index.js';

export interface TimeoutWarning {
  /** Job name, or `*` for a warning about the connection settings themselves. */
  job: string;
  /** The job's timeout in seconds (for `*`, the ping interval). */
  timeout: number;
  /** The config key it collides with. */
  limit: string;
  limit_s: number;
  /** One line saying what is wrong and how to fix it. */
  message: string;
  /** The fix alone, for `openclaw doctor`. */
  fix: string;
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
    const own = job.template.timeout;
    const timeout = own ?? cfg.tasks.default_timeout;
    if (!timeout) continue;
    for (const [limit, value] of limits) {
      if (value <= 0 || timeout <= value) continue;
      if (limit === 'tasks.default_timeout' && own === undefined) continue;
      const fix = `raise ${limit} to at least ${timeout}, or lower the timeout of cron job ${job.name} to ${value} or less`;
      out.push({
        job: job.name,
        timeout,
        limit,
        limit_s: value,
        message: `cron job ${job.name} may run ${timeout} s, longer than ${limit} (${value} s), so the run can be cut off; ${fix}`,
        fix,
      });
    }
  }
  const ping = cfg.gateway.websocket.ping_interval;
  const proxy = cfg.gateway.proxy_read_timeout;
  if (proxy > 0 && ping >= proxy) {
    const fix = `lower gateway.websocket.ping_interval below ${proxy} (e.g. 30), or raise gateway.proxy_read_timeout`;
    out.push({
      job: '*',
      timeout: ping,
      limit: 'gateway.proxy_read_timeout',
      limit_s: proxy,
      message: `gateway.websocket.ping_interval (${ping} s) is not below gateway.proxy_read_timeout (${proxy} s): the proxy will cut idle connections of long tasks; ${fix}`,
      fix,
    });
  }
  return out;
}
