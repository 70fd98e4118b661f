/** @module Process-level safety nets: an error that escapes every handler is logged, and serving goes on. */
import type { Logger } from 'pino';

let installed = false;

/**
 * Installs `uncaughtException` and `unhandledRejection` handlers that log and keep the process up.
 * A gateway holds many independent connections; one bug on one code path must not drop them all.
 */
export function installProcessHandlers(logger: Pick<Logger, 'error'>): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (err, origin) => {
    logger.error(
      { component: 'process', event: 'uncaught_exception', origin, err },
      'uncaught exception; still serving',
    );
  });
  process.on('unhandledRejection', (reason) => {
    logger.error(
      { component: 'process', event: 'unhandled_rejection', err: reason },
      'unhandled rejection; still serving',
    );
  });
}
