/** @module Reads HAProxy's runtime view of its servers (`show stat` on the admin socket). */
import { connect } from 'node:net';

export interface HaproxyServerState {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, "UP 1/3" (going down), ... */
  status: string;
  /** Result of the last health check: L7OK, L7STS (bad status), L4CON (refused), INI (not yet run), ... */
  checkStatus: string;
  /** HTTP status of the last layer-7 check, if any. */
  checkCode: string;
}

/** Every server line of `show stat` (frontend and backend summary lines left out). */
export function haproxyServers(socketPath: string): Promise<HaproxyServerState[]> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('error', reject);
    s.on('end', () => {
      const [header = '', ...rows] = text.trim().split('\n');
      const names = header.replace(/^# /, '').split(',');
      const col = (cells: string[], name: string) => cells[names.indexOf(name)] ?? '';
      resolve(
        rows
          .map((r) => r.split(','))
          .filter((c) => !['FRONTEND', 'BACKEND'].includes(col(c, 'svname')))
          .map((c) => ({
            backend: col(c, 'pxname'),
            server: col(c, 'svname'),
            status: col(c, 'status'),
            checkStatus: col(c, 'check_status'),
            checkCode: col(c, 'check_code'),
          })),
      );
    });
    s.end('show stat\n');
  });
}
