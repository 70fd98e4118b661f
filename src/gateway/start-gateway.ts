/**
 * @module The composition root of a gateway process: store, auth, logs, metrics, the server and the
 * services that register methods on it, started in order and stopped in reverse.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import { PACKAGE_VERSION, type ResolvedConfig } from '../config/index.js';
import {
  createLogger,
  createMetrics,
  registerSecret,
  startMetricsServer,
  connectionFailureReason,
  type GatewayLogger,
  type LogOutput,
  type Metrics,
  type MetricsServer,
} from '../observability/index.js';
import type { Stores } from '../store/index.js';
import { AuthThrottle, createTokenService, resolveAuthSecret, type TokenService } from './auth/index.js';
import { Authenticator, isLoopbackHost } from './authenticator.js';
import { GatewayServer } from './gateway-server.js';
import { openGatewayStores } from './open-stores.js';
import { createWebHandler } from '../web/index.js';

/** A service started after the server listens; drained together, then stopped in reverse order, on shutdown. */
export interface GatewayService {
  name: string;
  /** Lets running work finish, up to the deadline (epoch ms). */
  drain?(deadline: number): Promise<void>;
  stop(): Promise<void>;
}

export interface GatewayContext {
  config: ResolvedConfig;
  server: GatewayServer;
  stores: Stores;
  tokens: TokenService;
  logger: GatewayLogger;
  metrics: Metrics;
  gatewayId: string;
  /** Services started earlier offer themselves here by name (e.g. 'scheduler'), for later ones to use. */
  shared: Map<string, unknown>;
}

/** Plug-ins that add methods, routes and background work (scheduler, local node, ...). */
export type ServiceFactory = (ctx: GatewayContext) => Promise<GatewayService | null> | GatewayService | null;

export interface RunningGateway extends GatewayContext {
  version: string;
  wsUrl: string;
  httpUrl: string;
  metricsUrl: string | null;
  /** Drains and stops everything; resolves when the process may exit 0. */
  shutdown(reason: string): Promise<void>;
}

export interface StartGatewayOptions {
  services?: ServiceFactory[];
}

function logOutputs(cfg: ResolvedConfig): LogOutput[] {
  return cfg.logging.output.map((o) =>
    o.type === 'stdout'
      ? { type: 'stdout' as const }
      : {
          type: 'file' as const,
          path: resolve(o.path ?? `${cfg.log_dir}/gateway.log`),
          max_size_mb: o.max_size_mb,
          max_backups: o.max_backups,
          compress: o.compress,
        },
  );
}

/** Refuses configurations that would be unsafe to serve (R2.1). */
export function assertSafeBind(cfg: ResolvedConfig): void {
  const g = cfg.gateway;
  if (g.auth.mode === 'none' && !isLoopbackHost(g.host)) {
    throw new GatewayError(
      'GW_ERR_CONFIG_INVALID',
      { key: 'gateway.auth.mode', value: 'none', host: g.host },
      `invalid config: gateway.auth.mode = "none" is only allowed on a loopback bind, but gateway.host is ${g.host}; ` +
        'use gateway.auth.mode: token (the default) or bind 127.0.0.1',
    );
  }
}

export async function startGateway(
  cfg: ResolvedConfig,
  opts: StartGatewayOptions = {},
): Promise<RunningGateway> {
  assertSafeBind(cfg);
  const g = cfg.gateway;
  const gatewayId = g.id ?? `${hostname()}-${g.port}`;
  for (const s of [g.auth.secret, cfg.store.encryption_key]) if (s) registerSecret(s);
  const logger = createLogger({
    level: cfg.logging.level,
    format: cfg.logging.format,
    outputs: logOutputs(cfg),
    base: { gateway_id: gatewayId },
  });
  const log = logger.child({ component: 'gateway' });
  const started: GatewayService[] = [];
  let stores: Stores | null = null;
  let metricsServer: MetricsServer | null = null;
  let server: GatewayServer | null = null;
  try {
    stores = await openGatewayStores(cfg);
    const secret = await resolveAuthSecret({ configured: g.auth.secret, dataDir: cfg.data_dir });
    registerSecret(secret.secret);
    if (secret.source === 'generated')
      log.info({ event: 'auth_secret_generated', path: secret.path }, 'generated the auth secret');
    const tokens = createTokenService({ secret: secret.secret, revocations: stores.revocations });
    const metrics = createMetrics({ version: PACKAGE_VERSION });
    const authenticator = new Authenticator({
      mode: g.auth.mode,
      tokens,
      throttle: new AuthThrottle({
        maxFailures: g.auth.max_failures,
        windowMs: g.auth.failure_window * 1000,
      }),
      onFailure: () => metrics.authFailures.inc(),
    });
    server = new GatewayServer({
      config: cfg,
      authenticator,
      logger,
      version: PACKAGE_VERSION,
      gatewayId,
      web: createWebHandler(),
      readiness: async () => {
        await stores!.probe();
        return true;
      },
      hooks: {
        onConnection: (role, event, reason) => {
          const r = role === 'admin' ? 'operator' : role;
          if (event === 'open') {
            metrics.connectionsTotal.inc();
            if (r !== 'unknown') metrics.connectionsActive.inc({ role: r });
          } else if (event === 'close') {
            if (r !== 'unknown') metrics.connectionsActive.dec({ role: r });
          } else metrics.connectionsFailed.inc({ reason: connectionFailureReason(reason ?? 'other') });
        },
        onMessage: (direction) => metrics.wsMessages.inc({ direction }),
      },
    });
    await server.listen();
    if (cfg.metrics.enabled) {
      metricsServer = await startMetricsServer({
        host: cfg.metrics.host,
        port: cfg.metrics.port,
        path: cfg.metrics.path,
        registry: metrics.registry,
      });
    }
    const ctx: GatewayContext = {
      config: cfg,
      server,
      stores,
      tokens,
      logger,
      metrics,
      gatewayId,
      shared: new Map(),
    };
    for (const factory of opts.services ?? []) {
      const svc = await factory(ctx);
      if (svc) started.push(svc);
    }
    server.markReady();
    if (!g.headless && !process.env.DISPLAY && process.platform === 'linux') {
      log.warn(
        { event: 'no_display' },
        'no display found; running headless (set OPENCLAW_HEADLESS=true to silence this)',
      );
    }
    if (!isLoopbackHost(g.host)) {
      log.warn(
        { event: 'public_bind', host: g.host },
        'listening beyond loopback; put a TLS reverse proxy in front (docs/deployment.md)',
      );
    }
    const wsUrl = `${server.url.replace(/^http/, 'ws')}${g.websocket_path}`;
    log.info(
      {
        event: 'gateway_started',
        url: wsUrl,
        metrics: metricsServer?.url ?? null,
        version: PACKAGE_VERSION,
        headless: g.headless,
      },
      `gateway listening on ${wsUrl}`,
    );

    let shutdownPromise: Promise<void> | null = null;
    const shutdown = (reason: string) => {
      shutdownPromise ??= (async () => {
        const t0 = Date.now();
        log.info({ event: 'gateway_draining', reason }, 'draining');
        server!.beginDrain(reason);
        const deadline = Date.now() + g.drain_timeout * 1000;
        // All at once, not one after another: each drain also stops its service taking new work
        // (the scheduler stops dispatching), and while the local node drained first, the scheduler
        // kept handing it tasks submitted during the drain, which then held the exit to the deadline.
        await Promise.all(
          started.map(async (svc) => {
            try {
              await svc.drain?.(deadline);
            } catch (err) {
              log.error({ event: 'drain_failed', service: svc.name, err }, 'drain failed');
            }
          }),
        );
        await server!.close();
        for (const svc of [...started].reverse()) {
          try {
            await svc.stop();
          } catch (err) {
            log.error({ event: 'stop_failed', service: svc.name, err }, 'stop failed');
          }
        }
        await metricsServer?.close();
        await stores!.close();
        log.info({ event: 'gateway_stopped', duration_ms: Date.now() - t0 }, 'stopped');
        await logger.close();
      })();
      return shutdownPromise;
    };
    return {
      ...ctx,
      version: PACKAGE_VERSION,
      wsUrl,
      httpUrl: server.url,
      metricsUrl: metricsServer?.url ?? null,
      shutdown,
    };
  } catch (err) {
    log.error({ event: 'start_failed', err }, err instanceof Error ? err.message : String(err));
    for (const svc of started.reverse()) await svc.stop().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await metricsServer?.close().catch(() => undefined);
    await stores?.close().catch(() => undefined);
    await logger.close();
    throw err;
  }
}
