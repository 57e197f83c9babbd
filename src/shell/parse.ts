/**
 * A POSIX shell command parser, enough of the grammar to find every simple command a shell
 * string would run: quoting and escapes, `;` `&` `|` `&&` `||` newlines, `( )` and `{ }`
 * groups, reserved words (`if … then … fi`, loops, `case`), redirections and here-strings,
 * assignments, comments, and command substitution (`$( )`, backticks, `<( )` / `>( )`), which
 * it parses recursively. Commands run through wrappers (`env`, `nohup`, `timeout`, `xargs`,
 * `busybox` …), `eval` and nested `sh -c` are unwrapped too.
 *
 * No library on npm does this: shell-quote is a tokenizer that treats a newline as a space and
 * a backtick as a letter, bash-parser is unmaintained and pulls in Babel. Anything the parser
 * cannot resolve statically (a command name built from `$VAR`) is reported as written, so a
 * policy allowlist never matches it.
 */

export interface ParsedCommand {
  /** The command name as the shell would look it up; `$X`-style text when not static. */
  name: string;
  argv: string[];
  /** True when the name depends on an expansion (variable, substitution, glob). */
  dynamic: boolean;
}

interface Word {
  text: string;
  /** The word contained an unquoted expansion or glob: its value is not known statically. */
  dynamic: boolean;
}

type Token = { kind: 'word'; word: Word } | { kind: 'op'; op: string };

const OPERATORS = [
  '&&',
  '||',
  ';;',
  '|&',
  '>>',
  '<<<',
  '<<-',
  '<<',
  '<&',
  '>&',
  '<>',
  '>|',
  '&>>',
  '&>',
  '<(',
  '>(',
  ';',
  '&',
  '|',
  '(',
  ')',
  '<',
  '>',
  '\n',
];
const REDIRECTS = new Set(['>>', '<<<', '<&', '>&', '<>', '>|', '&>>', '&>', '<', '>']);
const HEREDOCS = new Set(['<<', '<<-']);
const SEPARATORS = new Set(['&&', '||', ';;', '|&', ';', '&', '|', '(', ')', '\n']);
const RESERVED_THEN_COMMAND = new Set([
  'if',
  'then',
  'else',
  'elif',
  'do',
  'while',
  'until',
  '!',
  '{',
  'time',
]);
const RESERVED_END = new Set(['fi', 'done', '}', 'esac']);
const SHELL_NAMES = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ash',
  'ksh',
  'mksh',
  'fish',
  'csh',
  'tcsh',
  'busybox',
]);
/**
 * Builtins that exist only inside the shell (no program of that name runs, whatever PATH says):
 * not commands. `.`/`source` (a script file) and `eval` stay judged.
 */
const PURE_BUILTINS = new Set([
  ':',
  'cd',
  'read',
  'export',
  'set',
  'unset',
  'shift',
  'exit',
  'return',
  'trap',
  'wait',
  'readonly',
  'local',
  'declare',
  'typeset',
  'alias',
  'unalias',
  'umask',
  'ulimit',
  'getopts',
  'let',
  'shopt',
  'break',
  'continue',
  'times',
  'jobs',
  'fg',
  'bg',
]);
/** Shell builtins that run the command given as their arguments, in the shell's own process. */
const SHELL_BUILTIN_WRAPPERS = new Set(['exec', 'command', 'builtin']);
/** Commands that run another command given as their arguments. */
const WRAPPERS = new Set([
  'env',
  'nohup',
  'exec',
  'command',
  'builtin',
  'nice',
  'ionice',
  'timeout',
  'stdbuf',
  'setsid',
  'sudo',
  'doas',
  'xargs',
  'time',
  'chroot',
  'taskset',
  'strace',
  'ltrace',
  'nsenter',
  'unshare',
  'flock',
  'watch',
  'chrt',
  'runuser',
  'su',
  'script',
]);

const MAX_DEPTH = 8;

class Lexer {
  private i = 0;
  readonly tokens: Token[] = [];

  constructor(
    private readonly src: string,
    private readonly nested: (inner: string) => void,
  ) {}

  run(): Token[] {
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\r') {
        this.i++;
        continue;
      }
      if (c === '\\' && s[this.i + 1] === '\n') {
        this.i += 2;
        continue;
      }
      if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
        continue;
      }
      const op = OPERATORS.find((o) => s.startsWith(o, this.i));
      if (op) {
        this.i += op.length;
        if (op === '<(' || op === '>(') {
          this.nested(this.readBalanced('(', ')'));
          this.tokens.push({ kind: 'word', word: { text: `${op}…)`, dynamic: true } });
          continue;
        }
        this.tokens.push({ kind: 'op', op });
        if (HEREDOCS.has(op)) this.skipHeredoc();
        continue;
      }
      this.tokens.push({ kind: 'word', word: this.readWord() });
    }
    return this.tokens;
  }

  /** Reads up to the matching close, honouring quotes and nesting; returns the inside. */
  private readBalanced(open: string, close: string): string {
    const s = this.src;
    const start = this.i;
    let depth = 1;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        this.i = end < 0 ? s.length : end + 1;
        continue;
      }
      if (c === '"') {
        this.i++;
        this.skipDoubleQuoted();
        continue;
      }
      if (c === '`') {
        this.i++;
        this.skipBackquoted();
        continue;
      }
      if (c === open) depth++;
      else if (c === close) {
        depth--;
        if (depth === 0) {
          this.i++;
          return s.slice(start, this.i - 1);
        }
      }
      this.i++;
    }
    return s.slice(start);
  }

  private skipDoubleQuoted(): void {
    const s = this.src;
    while (this.i < s.length && s[this.i] !== '"') {
      if (s[this.i] === '\\') this.i += 2;
      else if (s.startsWith('$(', this.i)) this.substitution();
      else if (s[this.i] === '`') {
        this.i++;
        this.backquoted();
      } else this.i++;
    }
    this.i++;
  }

  private skipBackquoted(): void {
    const s = this.src;
    while (this.i < s.length && s[this.i] !== '`') this.i += s[this.i] === '\\' ? 2 : 1;
    this.i++;
  }

  /** At `$(`: parses `$(( … ))` arithmetic or a `$( … )` command substitution. */
  private substitution(): void {
    const s = this.src;
    if (s.startsWith('$((', this.i)) {
      this.i += 3;
      this.nestedInArithmetic(this.readBalanced('(', ')'));
      if (s[this.i] === ')') this.i++;
      return;
    }
    this.i += 2;
    this.nested(this.readBalanced('(', ')'));
  }

  private nestedInArithmetic(inner: string): void {
    // Arithmetic runs no commands itself, but may contain substitutions.
    const sub = new Lexer(`: ${inner}`, this.nested);
    sub.run();
  }

  private backquoted(): void {
    const s = this.src;
    const start = this.i;
    while (this.i < s.length && s[this.i] !== '`') this.i += s[this.i] === '\\' ? 2 : 1;
    this.nested(s.slice(start, this.i).replace(/\\([`$\\])/g, '$1'));
    this.i++;
  }

  private skipHeredoc(): void {
    // `<<WORD`: the delimiter word is the next word; the body starts on the next line.
    const s = this.src;
    while (s[this.i] === ' ' || s[this.i] === '\t') this.i++;
    const delim = this.readWord().text;
    const nl = s.indexOf('\n', this.i);
    if (nl < 0 || !delim) return;
    const lines = s.slice(nl + 1).split('\n');
    let consumed = nl + 1;
    for (const line of lines) {
      consumed += line.length + 1;
      if (line.replace(/^\t+/, '') === delim) break;
    }
    // Keep the rest of the line after `<<WORD` (e.g. `| sh`) and drop the body.
    const rest = s.slice(this.i, nl);
    this.i = Math.min(consumed, s.length);
    const sub = new Lexer(rest, this.nested);
    for (const t of sub.run()) this.tokens.push(t);
    this.tokens.push({ kind: 'op', op: '\n' });
  }

  private readWord(): Word {
    const s = this.src;
    let text = '';
    let dynamic = false;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') break;
      if (OPERATORS.some((o) => o !== '\n' && s.startsWith(o, this.i))) break;
      if (c === '\\') {
        if (s[this.i + 1] === '\n') {
          this.i += 2;
          continue;
        }
        text += s[this.i + 1] ?? '';
        this.i += 2;
        continue;
      }
      if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        text += s.slice(this.i + 1, end < 0 ? s.length : end);
        this.i = end < 0 ? s.length : end + 1;
        continue;
      }
      if (c === '$' && s[this.i + 1] === "'") {
        // ANSI-C quoting: $'\x63url' is "curl" to bash.
        const end = s.indexOf("'", this.i + 2);
        text += decodeAnsiC(s.slice(this.i + 2, end < 0 ? s.length : end));
        this.i = end < 0 ? s.length : end + 1;
        continue;
      }
      if (c === '"') {
        this.i++;
        let inner = '';
        while (this.i < s.length && s[this.i] !== '"') {
          const d = s[this.i]!;
          if (d === '\\' && '$`"\\\n'.includes(s[this.i + 1] ?? '')) {
            inner += s[this.i + 1] === '\n' ? '' : s[this.i + 1];
            this.i += 2;
          } else if (s.startsWith('$(', this.i)) {
            const from = this.i;
            this.substitution();
            inner += s.slice(from, this.i);
            dynamic = true;
          } else if (d === '`') {
            this.i++;
            const from = this.i;
            this.backquoted();
            inner += `\`${s.slice(from, this.i)}`;
            dynamic = true;
          } else {
            if (d === '$' && /[A-Za-z_{@*#?$!0-9-]/.test(s[this.i + 1] ?? '')) dynamic = true;
            inner += d;
            this.i++;
          }
        }
        text += inner;
        this.i++;
        continue;
      }
      if (c === '$' && s[this.i + 1] === '(') {
        const from = this.i;
        this.substitution();
        text += s.slice(from, this.i);
        dynamic = true;
        continue;
      }
      if (c === '$' && s[this.i + 1] === '{') {
        const from = this.i;
        this.i += 2;
        const inner = this.readBalanced('{', '}');
        if (inner.includes('$(') || inner.includes('`')) new Lexer(`: ${inner}`, this.nested).run();
        text += s.slice(from, this.i);
        dynamic = true;
        continue;
      }
      if (c === '`') {
        this.i++;
        const from = this.i;
        this.backquoted();
        text += `\`${s.slice(from, this.i)}`;
        dynamic = true;
        continue;
      }
      if (c === '$' && /[A-Za-z_@*#?$!0-9-]/.test(s[this.i + 1] ?? '')) dynamic = true;
      if (c === '*' || c === '?' || c === '[') dynamic = true;
      if (
        c === '{' &&
        text === '' &&
        s[this.i + 1] !== ' ' &&
        /^[{][^}\s]*,[^}\s]*[}]/.test(s.slice(this.i, this.i + 256))
      ) {
        dynamic = true; // brace expansion: {cu,rl}
      }
      text += c;
      this.i++;
    }
    return { text, dynamic };
  }
}

const ANSI_C_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  v: '\v',
};

/** A code point as text, or the escape as written when it names none (bash keeps it too). */
function codePointText(hex: string, written: string): string {
  const cp = Number.parseInt(hex, 16);
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : written;
}

/**
 * The text of a `$'…'` body, as bash decodes it: `\xHH`, `\uHHHH`, `\UHHHHHHHH`, octal `\NNN`,
 * `\cX` and the single-letter escapes. An escape without its digits (`\xZZ`) stays as written,
 * as in bash; nothing here throws, whatever the body.
 */
function decodeAnsiC(body: string): string {
  return body.replace(
    /\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c[\s\S]|[\s\S])/g,
    (written: string, esc: string) => {
      const kind = esc[0] ?? '';
      if (esc.length > 1 && (kind === 'x' || kind === 'u' || kind === 'U'))
        return codePointText(esc.slice(1), written);
      if (esc.length > 1 && kind === 'c') return String.fromCharCode((esc.charCodeAt(1) & 0x1f) >>> 0);
      if (/^[0-7]+$/.test(esc)) return String.fromCharCode(Number.parseInt(esc, 8) & 0xff);
      if (kind === 'x' || kind === 'u' || kind === 'U' || kind === 'c') return written;
      return ANSI_C_ESCAPES[kind] ?? esc;
    },
  );
}

/** Index of the `-c` script argument in a shell's argv (argv[0] is the shell), or -1. */
export function shellScriptIndex(argv: readonly string[]): number {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return -1;
    if (!a.startsWith('-') && !a.startsWith('+')) return -1;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) {
      // The script is the first non-option argument after the cluster holding `c`.
      for (let j = i + 1; j < argv.length; j++) {
        const b = argv[j]!;
        if (b === '-o' || b === '+o' || b === '-O' || b === '+O') {
          j++;
          continue;
        }
        if (!b.startsWith('-') || b === '-') return j;
        if (b === '--') return j + 1 < argv.length ? j + 1 : -1;
      }
      return -1;
    }
    if (a === '-o' || a === '+o' || a === '-O' || a === '+O') i++;
  }
  return -1;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** For a wrapper like `env -i X=1 curl …`, the index in argv of the wrapped command, or -1. */
function wrappedIndex(name: string, argv: readonly string[]): number {
  let i = 1;
  const takesValue: Record<string, Set<string>> = {
    env: new Set(['-u', '--unset', '-C', '--chdir', '-S', '--split-string']),
    exec: new Set(['-a']),
    nice: new Set(['-n', '--adjustment']),
    ionice: new Set(['-c', '-n', '-p']),
    timeout: new Set(['-s', '--signal', '-k', '--kill-after']),
    stdbuf: new Set(['-i', '-o', '-e']),
    sudo: new Set(['-u', '-g', '-C', '-h', '-p', '-U', '-r', '-t']),
    xargs: new Set(['-n', '-L', '-P', '-s', '-d', '-E', '-I', '-a']),
    taskset: new Set([]),
    flock: new Set(['-w', '-E']),
    chrt: new Set([]),
    su: new Set(['-c', '-s', '-g', '-G']),
    runuser: new Set(['-u', '-g', '-G']),
    watch: new Set(['-n', '-d']),
    strace: new Set(['-e', '-o', '-p', '-s', '-u']),
  };
  const values = takesValue[name] ?? new Set<string>();
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (a.startsWith('-') && a.length > 1) {
      i += values.has(a) ? 2 : 1;
      continue;
    }
    if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
      i++;
      continue;
    }
    // Leading numbers: `timeout 5 cmd`, `nice 10 cmd`, `taskset 0x1 cmd`, `chrt 1 cmd`, `flock f cmd`.
    if (
      (name === 'timeout' ||
        name === 'taskset' ||
        name === 'chrt' ||
        name === 'flock' ||
        name === 'chroot') &&
      i === firstPositional(argv)
    ) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}

function firstPositional(argv: readonly string[]): number {
  for (let i = 1; i < argv.length; i++) if (!argv[i]!.startsWith('-')) return i;
  return -1;
}

class CommandCollector {
  readonly commands: ParsedCommand[] = [];

  constructor(private readonly depth: number) {}

  parseScript(script: string): void {
    if (this.depth > MAX_DEPTH) {
      this.commands.push({ name: '<nesting too deep>', argv: [], dynamic: true });
      return;
    }
    const inner = new CommandCollector(this.depth + 1);
    const tokens = new Lexer(script, (sub) => inner.parseScript(sub)).run();
    this.fromTokens(tokens);
    this.commands.push(...inner.commands);
  }

  private fromTokens(tokens: Token[]): void {
    let words: Word[] = [];
    let expectCommand = true;
    let skipNextWord = false;
    let caseState: 'none' | 'subject' | 'pattern' = 'none';
    let forHeader = false;
    const flush = () => {
      if (words.length) this.addCommand(words);
      words = [];
    };
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t]!;
      if (tok.kind === 'op') {
        if (REDIRECTS.has(tok.op) || HEREDOCS.has(tok.op)) {
          skipNextWord = !HEREDOCS.has(tok.op);
          continue;
        }
        if (SEPARATORS.has(tok.op)) {
          if (caseState === 'pattern' && tok.op === ')') {
            caseState = 'none';
            words = [];
            expectCommand = true;
            continue;
          }
          if (
            tok.op === '(' &&
            words.length === 1 &&
            tokens[t + 1]?.kind === 'op' &&
            (tokens[t + 1] as { op: string }).op === ')'
          ) {
            // `name() { … }`: a function definition, not a command.
            words = [];
            t++;
            continue;
          }
          flush();
          if (tok.op === ';;') caseState = 'pattern';
          forHeader = false;
          expectCommand = true;
        }
        continue;
      }
      const w = tok.word;
      if (skipNextWord) {
        skipNextWord = false;
        continue;
      }
      const next = tokens[t + 1];
      if (/^\d+$/.test(w.text) && next?.kind === 'op' && (REDIRECTS.has(next.op) || HEREDOCS.has(next.op))) {
        continue; // an IO number: the `2` of `2>&1`
      }
      if (caseState === 'subject') {
        if (w.text === 'in') caseState = 'pattern';
        continue;
      }
      if (caseState === 'pattern') {
        if (w.text === 'esac') {
          caseState = 'none';
          continue;
        }
        continue;
      }
      if (forHeader) continue;
      if (words.length === 0 && expectCommand) {
        if (RESERVED_THEN_COMMAND.has(w.text) && !w.dynamic) continue;
        if (RESERVED_END.has(w.text) && !w.dynamic) continue;
        if ((w.text === 'for' || w.text === 'select') && !w.dynamic) {
          forHeader = true;
          continue;
        }
        if (w.text === 'case' && !w.dynamic) {
          caseState = 'subject';
          continue;
        }
        if (w.text === 'function' && !w.dynamic) {
          skipNextWord = true;
          continue;
        }
        if (/^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(w.text)) continue; // assignment
      }
      if (words.length === 0 && !expectCommand) continue;
      if (words.length > 0 && RESERVED_END.has(w.text) && !w.dynamic && w.text === '}') {
        flush();
        continue;
      }
      words.push(w);
    }
    flush();
  }

  addCommand(words: Word[]): void {
    const argv = words.map((w) => w.text);
    const first = words[0]!;
    // `exec`, `command` and `builtin` are the shell's own: they start no process of their own
    // (a bare `exec 3<>/dev/tcp/…` only redirects); what they wrap is the command.
    if (!first.dynamic && PURE_BUILTINS.has(first.text)) return;
    if (!first.dynamic && SHELL_BUILTIN_WRAPPERS.has(first.text)) {
      // `command -v x` / `-V` only looks x up.
      if (first.text === 'command' && argv.some((a) => /^-[A-Za-z]*[vV]/.test(a))) return;
      const idx = wrappedIndex(first.text, argv);
      if (idx > 0) this.addCommand(words.slice(idx));
      return;
    }
    this.commands.push({ name: first.text, argv, dynamic: first.dynamic });
    if (first.dynamic) return;
    const base = basename(first.text);
    if (SHELL_NAMES.has(base)) {
      const shArgv = base === 'busybox' ? argv.slice(1) : argv;
      if (base === 'busybox' && shArgv.length > 0 && !SHELL_NAMES.has(basename(shArgv[0]!))) {
        this.addCommand(words.slice(1));
        return;
      }
      const idx = shellScriptIndex(shArgv);
      if (idx > 0) this.parseScript(shArgv[idx]!);
      return;
    }
    if (base === 'eval') {
      this.parseScript(argv.slice(1).join(' '));
      return;
    }
    if (base === 'su' || base === 'runuser') {
      const c = argv.indexOf('-c');
      if (c > 0 && argv[c + 1]) this.parseScript(argv[c + 1]!);
      return;
    }
    if (WRAPPERS.has(base)) {
      const idx = wrappedIndex(base, argv);
      if (idx > 0) {
        if (base === 'env' && argv.includes('-S')) {
          const s = argv[argv.indexOf('-S') + 1];
          if (s) this.parseScript(s);
        }
        this.addCommand(words.slice(idx));
      }
    }
  }
}

/** Every simple command the shell string would run, outer ones first, then substitutions. */
export function parseShellCommands(script: string): ParsedCommand[] {
  const collector = new CommandCollector(0);
  collector.parseScript(script);
  return collector.commands;
}

/**
 * The commands an exec'd argv runs, itself first: `timeout 5 sh -c 'curl …'` runs timeout, sh
 * and curl. Wrappers and nested shells are unwrapped as in a script; the argv's words are
 * literal (no shell expansion happens on an exec).
 */
export function commandsOfArgv(argv: readonly string[]): ParsedCommand[] {
  const collector = new CommandCollector(0);
  if (argv.length > 0) collector.addCommand(argv.map((text) => ({ text, dynamic: false })));
  return collector.commands;
}

/**
 * The structure of a shell string, without its words: operators, redirections and command
 * substitutions in order (`W ; W | W > W`). Two strings with the same shape run the same
 * pipeline of commands; user input that changes it changed what the shell does.
 */
export function shellShape(script: string): string {
  const parts: string[] = [];
  const visit = (s: string, depth: number): void => {
    if (depth > MAX_DEPTH) {
      parts.push('<deep>');
      return;
    }
    const tokens = new Lexer(s, (inner) => {
      parts.push('$(');
      visit(inner, depth + 1);
      parts.push(')');
    }).run();
    for (const t of tokens) {
      const p = t.kind === 'op' ? t.op : 'W';
      if (p === 'W' && parts[parts.length - 1] === 'W') continue;
      parts.push(p);
    }
  };
  visit(script, 0);
  return parts.join(' ');
}
