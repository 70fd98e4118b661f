/**
 * @module The few deliberate edits the live proxy tests make to a shipped config beyond ports and
 * certificate paths. Each one fails loudly when the line it edits is no longer in the file, so a
 * changed config cannot silently turn a test into a no-op.
 */

function replaceAllOrThrow(text: string, pattern: RegExp, to: string, what: string): string {
  const count = text.match(pattern)?.length ?? 0;
  if (count === 0) throw new Error(`${what}: no line matches ${pattern}`);
  return text.replace(pattern, to);
}

/**
 * Shortens nginx's long WebSocket timeouts (`proxy_read_timeout 3600s`, `proxy_send_timeout 3600s`)
 * to `value` (an nginx time such as `3s` or `500ms`), so a test can outlast them in seconds.
 */
export function nginxWithWebsocketTimeout(text: string, value: string): string {
  const read = replaceAllOrThrow(
    text,
    /proxy_read_timeout 3600s;/g,
    `proxy_read_timeout ${value};`,
    'nginx read timeout',
  );
  return replaceAllOrThrow(
    read,
    /proxy_send_timeout 3600s;/g,
    `proxy_send_timeout ${value};`,
    'nginx send timeout',
  );
}

/**
 * Removes the two lines seed 7.1 warns about ("缺少此設定將導致連線失敗") from the `/ws` location:
 * `proxy_set_header Upgrade ...` and `proxy_set_header Connection "upgrade"`.
 */
export function nginxWithoutUpgradeHeaders(text: string): string {
  const start = text.indexOf('location /ws {');
  if (start < 0) throw new Error('nginx: no "location /ws {" block');
  const end = text.indexOf('}', start);
  const block = text.slice(start, end);
  let stripped = replaceAllOrThrow(block, /^\s*proxy_set_header Upgrade [^\n]*\n/m, '', 'Upgrade header');
  stripped = replaceAllOrThrow(
    stripped,
    /^\s*proxy_set_header Connection "upgrade";[^\n]*\n/m,
    '',
    'Connection header',
  );
  return text.slice(0, start) + stripped + text.slice(end);
}

/** Shortens Caddy's `read_timeout 1h` / `write_timeout 1h` to `value` (a Go duration such as `3s`). */
export function caddyWithTimeout(text: string, value: string): string {
  const read = replaceAllOrThrow(text, /read_timeout 1h/g, `read_timeout ${value}`, 'Caddy read timeout');
  return replaceAllOrThrow(read, /write_timeout 1h/g, `write_timeout ${value}`, 'Caddy write timeout');
}

/**
 * Adds an admin socket to HAProxy's global section, so a test can read the servers' health-check
 * state (`show stat`); nothing else changes.
 */
export function haproxyWithStatsSocket(text: string, socketPath: string): string {
  return replaceAllOrThrow(
    text,
    /^global\n/m,
    `global\n    stats socket ${socketPath} mode 600 level admin\n`,
    'HAProxy global',
  );
}

/**
 * HAProxy needs about two file descriptors per connection, and refuses to start when the hard
 * `nofile` limit cannot cover `maxconn` ("Cannot raise FD limit"). On a host whose limit is lower
 * than the shipped `maxconn 20000` needs, the test lowers maxconn to what the host allows and
 * changes nothing else.
 */
export function haproxyWithinFdLimit(text: string, hardNofile: number): string {
  const m = /^(\s*maxconn\s+)(\d+)/m.exec(text);
  if (!m) throw new Error('HAProxy: no global maxconn line');
  const affordable = Math.floor((hardNofile - 100) / 2);
  return Number(m[2]) <= affordable ? text : text.replace(m[0], `${m[1]}${affordable}`);
}
