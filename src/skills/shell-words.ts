/** @module Finding the program names a shell command line would run, for the shell skill's policy. */

/** Programs that run their arguments as another command; the command after them is what counts. */
const WRAPPERS = new Set([
  'sudo',
  'doas',
  'env',
  'exec',
  'nohup',
  'time',
  'command',
  'builtin',
  'nice',
  'ionice',
  'timeout',
  'xargs',
  'stdbuf',
  'setsid',
  'chroot',
  'busybox',
]);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'fish']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const WRAPPER_ARG = /^(?:-.*|\d+(?:\.\d+)?[smhd]?)$/;

/**
 * Splits a command line into simple commands, each a list of words, with just enough of the shell's
 * grammar for a policy check: quotes and backslashes, the operators `; & | && || ( )`, newlines,
 * `$( )` and backticks (also inside double quotes, where they still run), and redirections (whose
 * target is not a command).
 */
export function splitCommands(command: string): string[][] {
  const segments: string[][] = [[]];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  let substitutionsInQuote = 0;
  let backtickInQuote = false;
  let redirectTarget = false;

  const endWord = (): void => {
    if (inWord && !redirectTarget) segments[segments.length - 1]!.push(word);
    if (inWord) redirectTarget = false;
    word = '';
    inWord = false;
  };
  const endSegment = (): void => {
    endWord();
    redirectTarget = false;
    if (segments[segments.length - 1]!.length > 0) segments.push([]);
  };

  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    const next = command[i + 1];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (c === '\\') {
      word += next ?? '';
      inWord = true;
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '`' || (c === '$' && next === '(')) {
        // A substitution inside quotes still runs: its words form a command of their own.
        endSegment();
        quote = null;
        if (c === '$') {
          substitutionsInQuote++;
          i++;
        } else backtickInQuote = true;
      } else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === ')' && substitutionsInQuote > 0) {
      endSegment();
      substitutionsInQuote--;
      quote = '"';
      continue;
    }
    if (c === '`' && backtickInQuote) {
      endSegment();
      backtickInQuote = false;
      quote = '"';
      continue;
    }
    if (c === '$' && next === '(') {
      endSegment();
      i++;
      continue;
    }
    if (c === '>' || c === '<' || (c === '&' && next === '>')) {
      endWord();
      // Swallow the rest of the operator (`>>`, `>&`, `&>`, `>|`, `<<`), then its target word.
      while (i + 1 < command.length && '<>&|'.includes(command[i + 1]!)) i++;
      redirectTarget = true;
      continue;
    }
    if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')' || c === '`') {
      endSegment();
      continue;
    }
    if (/\s/.test(c)) {
      endWord();
      continue;
    }
    word += c;
    inWord = true;
  }
  endWord();
  return segments.filter((s) => s.length > 0);
}

function basename(word: string): string {
  const i = word.lastIndexOf('/');
  return i < 0 ? word : word.slice(i + 1);
}

/**
 * The names (basenames) of the programs a command line runs, looking through wrappers such as
 * `sudo`/`env`/`xargs`, assignments such as `FOO=1 cmd`, and `sh -c "..."`, `eval "..."`. It is a
 * best effort for catching mistakes; obfuscated commands (`$(printf rm)`, base64) get past it.
 */
export function commandNames(command: string, depth = 0): string[] {
  const names: string[] = [];
  for (const words of splitCommands(command)) {
    let i = 0;
    while (i < words.length && ASSIGNMENT.test(words[i]!)) i++;
    while (i < words.length) {
      const name = basename(words[i]!);
      if (!WRAPPERS.has(name)) break;
      names.push(name);
      i++;
      while (i < words.length && (WRAPPER_ARG.test(words[i]!) || ASSIGNMENT.test(words[i]!))) i++;
    }
    const word = words[i];
    if (word === undefined) continue;
    const name = basename(word);
    names.push(name);
    if (depth >= 4) continue;
    if (SHELLS.has(name)) {
      const c = words.indexOf('-c', i + 1);
      const script = c < 0 ? undefined : words[c + 1];
      if (script !== undefined) names.push(...commandNames(script, depth + 1));
    } else if (name === 'eval') {
      names.push(...commandNames(words.slice(i + 1).join(' '), depth + 1));
    }
  }
  return names;
}
