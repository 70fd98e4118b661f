/**
 * @module A small streaming POSIX tar (ustar, with pax headers for long paths; GNU long names read too) writer and reader, for
 * .tar.gz backups any `tar xzf` can open. Only regular files and directories; everything else is
 * skipped on read. No dependency beyond node:zlib.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

const BLOCK = 512;

export interface TarFileInfo {
  path: string;
  size: number;
  sha256: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(
  name: string,
  size: number,
  mode: number,
  mtime: number,
  type: '0' | '5' | 'x',
  prefix = '',
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A pax record `"<len> path=<value>\n"`, where len counts the whole record including itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return Buffer.from(`${len}${body}`, 'utf8');
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** Writes tar entries to `out` (usually a gzip stream), honouring backpressure. */
export class TarWriter {
  readonly #out: Writable;
  constructor(out: Writable) {
    this.#out = out;
  }

  async #write(buf: Buffer): Promise<void> {
    if (!this.#out.write(buf)) await once(this.#out, 'drain');
  }

  async #header(path: string, size: number, mode: number, mtime: number, type: '0' | '5'): Promise<void> {
    if (Buffer.byteLength(path) <= 100) return this.#write(header(path, size, mode, mtime, type));
    const pax = paxRecord('path', path);
    await this.#write(header('PaxHeader', pax.length, 0o644, mtime, 'x'));
    await this.#write(Buffer.concat([pax, padding(pax.length)]));
    await this.#write(header(path.slice(-99).replace(/^\/+/, ''), size, mode, mtime, type));
  }

  async addDirectory(path: string, mode = 0o700, mtime = Date.now()): Promise<void> {
    await this.#header(path.endsWith('/') ? path : `${path}/`, 0, mode, mtime, '5');
  }

  /** Adds a file from disk; its size is taken once, so a file growing meanwhile is cut, never corrupt. */
  async addFile(path: string, source: string, mode = 0o600): Promise<TarFileInfo> {
    const fd = openSync(source, 'r');
    try {
      const st = fstatSync(fd);
      const size = st.size;
      await this.#header(path, size, mode, st.mtimeMs, '0');
      const hash = createHash('sha256');
      let written = 0;
      const chunk = Buffer.alloc(Math.min(1 << 20, Math.max(size, 1)));
      while (written < size) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - written), written);
        if (n === 0) break;
        // A copy: the chunk buffer is reused for the next read while this one may still be queued.
        const part = Buffer.from(chunk.subarray(0, n));
        hash.update(part);
        written += n;
        await this.#write(part);
      }
      if (written < size) {
        // The file shrank while being read: pad so the archive stays well-formed; the hash tells.
        const rest = Buffer.alloc(size - written);
        hash.update(rest);
        await this.#write(rest);
      }
      await this.#write(padding(size));
      return { path, size, sha256: hash.digest('hex') };
    } finally {
      closeSync(fd);
    }
  }

  async addBuffer(path: string, data: Buffer, mode = 0o600): Promise<TarFileInfo> {
    await this.#header(path, data.length, mode, Date.now(), '0');
    await this.#write(data);
    await this.#write(padding(data.length));
    return { path, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }

  /** Writes the end-of-archive blocks and ends `out`. */
  async finish(): Promise<void> {
    await this.#write(Buffer.alloc(BLOCK * 2));
    this.#out.end();
    await once(this.#out, 'finish');
  }
}

export interface TarEntry {
  path: string;
  type: 'file' | 'directory' | 'other';
  size: number;
  mode: number;
}

function readString(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
}
function readOctal(b: Buffer, off: number, len: number): number {
  const s = readString(b, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/**
 * Reads a tar stream. For each file, `onEntry` returns where to write it (a path) or null to skip it;
 * the file is hashed as it is written. Resolves with the files written. Rejects on a malformed header.
 */
export async function extractTar(
  input: Readable,
  onEntry: (entry: TarEntry) => string | null,
): Promise<TarFileInfo[]> {
  const out: TarFileInfo[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let paxPath: string | null = null;
  let cur: {
    entry: TarEntry;
    left: number;
    pad: number;
    fd: number | null;
    hash: ReturnType<typeof createHash>;
    /** Data of a pax ('x') or GNU long-name ('L') header: it names the entry that follows. */
    pax: Buffer[] | null;
    paxKind: string;
  } | null = null;
  let ended = false;
  const finishFile = () => {
    if (!cur) return;
    if (cur.fd !== null) {
      closeSync(cur.fd);
      out.push({ path: cur.entry.path, size: cur.entry.size, sha256: cur.hash.digest('hex') });
    }
    if (cur.pax) {
      const text = Buffer.concat(cur.pax).toString('utf8');
      if (cur.paxKind === 'L') paxPath = text.replace(/\0+$/, '');
      else {
        const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
        paxPath = m ? m[1]! : null;
      }
    }
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      // After the end marker the rest (zero padding) is read and dropped, so the source drains normally.
      if (ended) continue;
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (ended) break;
        if (cur) {
          if (cur.left > 0) {
            if (buf.length === 0) break;
            const part = buf.subarray(0, Math.min(cur.left, buf.length));
            if (cur.fd !== null) {
              writeSync(cur.fd, part);
              cur.hash.update(part);
            }
            cur.pax?.push(Buffer.from(part));
            cur.left -= part.length;
            buf = buf.subarray(part.length);
            continue;
          }
          if (buf.length < cur.pad) break;
          buf = buf.subarray(cur.pad);
          finishFile();
          cur = null;
          continue;
        }
        if (buf.length < BLOCK) break;
        const h = buf.subarray(0, BLOCK);
        buf = buf.subarray(BLOCK);
        if (h.every((b) => b === 0)) {
          ended = true;
          break;
        }
        let sum = 0;
        for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
        if (sum !== readOctal(h, 148, 8)) throw new Error('not a tar archive (bad header checksum)');
        const flag = String.fromCharCode(h[156]!);
        const size = readOctal(h, 124, 12);
        const prefix = readString(h, 345, 155);
        const name = readString(h, 0, 100);
        const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
        const naming = flag === 'x' || flag === 'L';
        if (!naming) paxPath = null;
        const type = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'directory' : 'other';
        const entry: TarEntry = { path, type, size, mode: readOctal(h, 100, 8) };
        const dest = type === 'other' ? null : onEntry(entry);
        cur = {
          entry,
          left: size,
          pad: (BLOCK - (size % BLOCK)) % BLOCK,
          fd: dest !== null && type === 'file' ? openSync(dest, 'wx', 0o600) : null,
          hash: createHash('sha256'),
          pax: naming ? [] : null,
          paxKind: flag,
        };
      }
    }
  } finally {
    if (cur?.fd != null) closeSync(cur.fd);
  }
  if (cur && (cur.left > 0 || cur.pad > buf.length)) throw new Error('the archive is truncated');
  finishFile();
  if (!ended) throw new Error('the archive is truncated (no end-of-archive marker)');
  return out;
}
