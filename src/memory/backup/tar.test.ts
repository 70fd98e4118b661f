/** @module Unit tests: the tar writer and reader against each other and against the system's GNU tar. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import { createGunzip, createGzip } from 'node:zlib';
import { extractTar, TarWriter } from './tar.js';

const root = mkdtempSync(join(tmpdir(), 'openclaw-tar-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
};

const LONG = `workspaces/${'deep-directory-name/'.repeat(8)}報告-${'x'.repeat(40)}.txt`;

async function writeArchive(path: string, files: Array<[string, Buffer]>): Promise<void> {
  const gz = createGzip();
  const done = pipeline(gz, createWriteStream(path));
  const w = new TarWriter(gz);
  const src = dir();
  for (const [name, data] of files) {
    const p = join(src, createHash('md5').update(name).digest('hex'));
    writeFileSync(p, data);
    await w.addFile(name, p);
  }
  await w.finish();
  await done;
}

async function readArchive(path: string): Promise<Map<string, Buffer>> {
  const dest = dir();
  const out = new Map<string, Buffer>();
  const gunzip = createGunzip();
  const reading = pipeline(createReadStream(path), gunzip);
  const files = await extractTar(gunzip, (e) => {
    if (e.type !== 'file') return null;
    const p = join(dest, createHash('md5').update(e.path).digest('hex'));
    return p;
  });
  await reading;
  for (const f of files) {
    const data = readFileSync(join(dest, createHash('md5').update(f.path).digest('hex')));
    assert.equal(createHash('sha256').update(data).digest('hex'), f.sha256);
    out.set(f.path, data);
  }
  return out;
}

test('round-trips files of every size, long and non-ASCII paths included', async () => {
  const files: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['one-block', randomBytes(512)],
    ['odd', randomBytes(1000)],
    ['big.bin', randomBytes(3 * 1024 * 1024 + 7)],
    [LONG, Buffer.from('每日報告')],
  ];
  const archive = join(dir(), 'a.tar.gz');
  await writeArchive(archive, files);
  const back = await readArchive(archive);
  assert.deepEqual(
    [...back.keys()],
    files.map(([p]) => p),
  );
  for (const [p, data] of files) assert.ok(back.get(p)!.equals(data), p);
});

test('writes archives GNU tar lists and extracts, and reads archives GNU tar made', async () => {
  const archive = join(dir(), 'ours.tar.gz');
  await writeArchive(archive, [
    ['data/openclaw.db', Buffer.from('db')],
    [LONG, Buffer.from('long')],
  ]);
  const listed = execFileSync('tar', ['tzf', archive], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(listed, ['data/openclaw.db', LONG]);
  const x = dir();
  execFileSync('tar', ['xzf', archive, '-C', x]);
  assert.equal(readFileSync(join(x, LONG), 'utf8'), 'long');

  const src = dir();
  mkdirSync(join(src, dirname(LONG)), { recursive: true });
  writeFileSync(join(src, LONG), 'from gnu');
  writeFileSync(join(src, 'manifest.json'), '{}');
  const theirs = join(dir(), 'theirs.tar.gz');
  execFileSync('tar', ['czf', theirs, '-C', src, 'manifest.json', 'workspaces']);
  const back = await readArchive(theirs);
  assert.equal(back.get(LONG)?.toString(), 'from gnu');
  assert.equal(back.get('manifest.json')?.toString(), '{}');
});

test('rejects a truncated archive and a corrupt header', async () => {
  const archive = join(dir(), 'a.tar.gz');
  await writeArchive(archive, [['a', randomBytes(5000)]]);
  const raw = execFileSync('gzip', ['-dc', archive]);
  const read = (buf: Buffer) => extractTar(Readable.from([buf]), () => null);
  await assert.rejects(read(raw.subarray(0, 2048)), /truncated/);
  const corrupt = Buffer.from(raw);
  corrupt[10] = corrupt[10]! ^ 0xff;
  await assert.rejects(read(corrupt), /bad header checksum/);
  await assert.rejects(read(Buffer.alloc(0)), /truncated/);
});
