/** @module CLI exit codes of PROTOCOL.md, and the mapping from errors to them. */
import { GatewayError } from '../protocol/index.js';

export const EXIT = {
  OK: 0,
  TASK_FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  TIMEOUT: 4,
  CANCELLED: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by commands to end with a given code after printing `message` (if any) on stderr. */
export class CliExit extends Error {
  constructor(
    readonly code: ExitCode,
    message = '',
  ) {
    super(message);
  }
}

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliExit) return err.code;
  if (err instanceof GatewayError) {
    if (
      err.code.startsWith('GW_ERR_AUTH_') ||
      err.code === 'GW_ERR_GATEWAY_UNREACHABLE' ||
      err.code === 'GW_ERR_GATEWAY_UPGRADE_REQUIRED' ||
      err.code === 'GW_ERR_GATEWAY_TIMEOUT'
    ) {
      return EXIT.UNREACHABLE;
    }
    // Requests the gateway refused as malformed (a bad cron expression too) are usage errors.
    if (
      err.code.startsWith('GW_ERR_CONFIG_') ||
      err.code === 'GW_ERR_PROTOCOL_INVALID_PARAMS' ||
      err.code === 'GW_ERR_CRON_INVALID'
    )
      return EXIT.USAGE;
    if (err.code === 'GW_ERR_TASK_TIMEOUT') return EXIT.TIMEOUT;
    if (err.code === 'GW_ERR_TASK_CANCELLED') return EXIT.CANCELLED;
    if (err.code.startsWith('GW_ERR_STORE_')) return EXIT.USAGE;
    return EXIT.TASK_FAILED;
  }
  return EXIT.TASK_FAILED;
}
