import { createLogger } from './dist/src/observability/index.js';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/lb-');
const which = process.argv[2] ?? 'both';
const outputs = which === 'file' ? [{ type: 'file', path: dir + '/g.log' }] : which === 'stdout' ? [{ type: 'stdout' }] : which === 'none' ? [{type:'stream', stream:{write(){}}}] : [{ type: 'stdout' }, { type: 'file', path: dir + '/g.log' }];
const logger = createLogger({ outputs, level: 'info' }).child({ component: 'scheduler' });
const N = 50000;
const f = { task_id: 'task-mip3abcd1234567890', workspace: 'default', node_id: 'local-host', status: 'succeeded', duration_ms: 3 };
let t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) { logger.info({ event: 'task_completed', ...f }, 'task completed'); if (i % 50 === 0) await new Promise(r => setImmediate(r)); }
const dt = Number(process.hrtime.bigint() - t0) / N / 1000;
process.stderr.write(`${which}: ${dt.toFixed(2)} us/line\n`);
