/** @module Reads nginx config text into a tree of directives and blocks, enough for structural assertions. */

export interface NginxDirective {
  name: string;
  args: string[];
  /** Present for block directives (`server { ... }`, `location /ws { ... }`). */
  block?: NginxDirective[];
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/g;
  for (const m of text.matchAll(re)) {
    if (m[0].startsWith('#')) continue;
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  }
  return tokens;
}

/** Parses nginx config text; throws on unbalanced braces or a directive without `;`. */
export function parseNginx(text: string): NginxDirective[] {
  const tokens = tokenize(text);
  let pos = 0;
  const parseList = (nested: boolean): NginxDirective[] => {
    const list: NginxDirective[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++] as string;
      if (tok === '}') {
        if (!nested) throw new Error('unexpected "}"');
        return list;
      }
      const words = [tok];
      while (pos < tokens.length && tokens[pos] !== ';' && tokens[pos] !== '{' && tokens[pos] !== '}') {
        words.push(tokens[pos++] as string);
      }
      const end = tokens[pos++];
      const [name, ...args] = words as [string, ...string[]];
      if (end === ';') list.push({ name, args });
      else if (end === '{') list.push({ name, args, block: parseList(true) });
      else throw new Error(`directive "${words.join(' ')}" is not terminated`);
    }
    if (nested) throw new Error('missing "}"');
    return list;
  };
  return parseList(false);
}

/** All directives named `name` directly inside `list`. */
export function children(list: readonly NginxDirective[] | undefined, name: string): NginxDirective[] {
  return (list ?? []).filter((d) => d.name === name);
}

/** The arguments of the first `name` directive in `list`, or undefined. */
export function argsOf(list: readonly NginxDirective[] | undefined, name: string): string[] | undefined {
  return children(list, name)[0]?.args;
}

/** `proxy_set_header` values of a block, by lower-cased header name. */
export function proxyHeaders(list: readonly NginxDirective[] | undefined): Map<string, string> {
  return new Map(
    children(list, 'proxy_set_header').map((d) => [(d.args[0] ?? '').toLowerCase(), d.args[1] ?? '']),
  );
}

/** nginx time value ("3600s", "1h", "60") in seconds. */
export function nginxSeconds(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!m) throw new Error(`not an nginx time: ${value}`);
  const n = Number(m[1]);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? 's'] ?? 1;
  return n * unit;
}
