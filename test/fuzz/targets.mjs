// Property-based fuzzing of the code that reads untrusted input before judgement: the shell
// parser, the process event builders, path resolution and address normalisation. The property
// is the same for all: whatever the input, they return (they never throw). Shared by the test
// (a few thousand runs in CI) and scripts/fuzz.mjs (a million or more).
import { createRequire } from 'node:module';
import fc from 'fast-check';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');

// Shell text made of the characters and fragments the parser treats specially, so that
// generated strings reach its escapes, quotes, expansions and redirections, not only words.
const SHELL_PIECES = [
  "$'",
  "'",
  '"',
  '\\',
  '\\x',
  '\\u',
  '\\U',
  '\\c',
  '\\0',
  '\\777',
  'ZZ',
  '$(',
  '`',
  ')',
  '(',
  '${',
  '}',
  '{',
  '$((',
  '))',
  '<<',
  '<<-',
  'EOF',
  '\n',
  ';',
  '&&',
  '||',
  '|',
  '&',
  '>',
  '<',
  '2>&1',
  '>|',
  '<(',
  '#',
  ' ',
  '\t',
  '*',
  '?',
  '[',
  ']',
  '~',
  '=',
  'X=1',
  'sh',
  '-c',
  'bash',
  'curl',
  'if',
  'then',
  'fi',
  'case',
  'esac',
  'for',
  'do',
  'done',
  'in',
  'while',
  '!',
  'exec',
  'eval',
  'env',
  'timeout',
  'xargs',
  'nohup',
  '\u0000',
  '\ud800',
  '\u{1F600}',
  'é',
];
const shellText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.constantFrom(...SHELL_PIECES), { maxLength: 40 }).map((a) => a.join('')),
  fc
    .array(fc.oneof(fc.constantFrom(...SHELL_PIECES), fc.string({ maxLength: 6 })), { maxLength: 30 })
    .map((a) => a.join('')),
);
const argv = fc.array(
  fc.oneof(shellText, fc.constantFrom('sh', 'bash', '-c', '-lc', '--', 'env', 'timeout', '5', 'xargs')),
  {
    maxLength: 8,
  },
);
const pathText = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc
    .array(
      fc.constantFrom(
        '/',
        '..',
        '.',
        '//',
        'tmp',
        'proc',
        'self',
        'environ',
        '\u0000',
        'a',
        'é',
        ' ',
        '~',
        '*',
      ),
      {
        maxLength: 24,
      },
    )
    .map((a) => a.join('')),
);
const addressText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.ipV4().map(String),
  fc.ipV6().map(String),
  fc.ipV4Extended().map(String),
  fc
    .array(
      fc.constantFrom(
        ':',
        '::',
        'ffff',
        '0x',
        '0',
        '127',
        '.',
        '1',
        '%',
        'eth0',
        '[',
        ']',
        'fe80',
        '00000000',
        'FFFFFFFF',
      ),
      {
        maxLength: 16,
      },
    )
    .map((a) => a.join('')),
);

// A deterministic stand-in for the file system: some paths "exist" (resolve), some do not.
const fakeRealpath = (p) =>
  p.length % 3 === 0 && !p.includes('\u0000') ? p.replace(/\/+/g, '/') : undefined;
const fakeProbe = { isExecutable: (f) => f.length % 2 === 0, realpath: fakeRealpath };
const policy = lib.compilePolicy(lib.defaultPolicy(), { taskRoot: '/var/task' });

/** Each target: a name and a fast-check property that holds when the code never throws. */
export const TARGETS = [
  ['shell parser: parseShellCommands', fc.property(shellText, (s) => void lib.parseShellCommands(s))],
  ['shell parser: shellShape', fc.property(shellText, (s) => void lib.shellShape(s))],
  [
    'shell parser: commandsOfArgv, shellScriptIndex',
    fc.property(argv, (a) => {
      lib.commandsOfArgv(a);
      lib.shellScriptIndex(a);
    }),
  ],
  [
    'event builder: processEvent → decide (sensor)',
    fc.property(argv, pathText, (a, cwd) => {
      const ev = lib.processEvent(
        { api: 'fuzz', file: a[0] ?? '', argv: a, cwd, pathVar: '/usr/bin:/bin' },
        fakeProbe,
      );
      lib.decide(policy, ev, () => '<function>');
    }),
  ],
  [
    'event builder: observedProcessEvent → judgeObservedProcess (extension)',
    fc.property(argv, pathText, fc.boolean(), (a, exe, deleted) => {
      const ev = lib.observedProcessEvent(
        {
          pid: 2,
          ppid: 1,
          exe: { path: exe, deleted, memfd: false },
          argv: a,
          cwd: '/var/task',
          pathVar: '/usr/bin',
          lineage: [],
          seenAt: 0,
        },
        fakeProbe,
      );
      lib.judgeObservedProcess(policy, ev, {
        noted: () => undefined,
        changedAt: () => undefined,
        sandboxStart: 0,
      });
    }),
  ],
  [
    'path resolution: resolveForCheck',
    fc.property(
      pathText,
      fc.boolean(),
      pathText,
      (p, follow, cwd) => void lib.resolveForCheck(p, follow, cwd || '/', fakeRealpath),
    ),
  ],
  [
    'address: normalizeIp, isIpLiteral',
    fc.property(addressText, (s) => {
      lib.normalizeIp(s);
      lib.isIpLiteral(s);
    }),
  ],
  [
    'address: parseProcAddress (/proc/net tables)',
    fc.property(addressText, (s) => void lib.parseProcAddress(s)),
  ],
  ['module names: moduleName', fc.property(fc.anything(), (v) => void lib.moduleName(v))],
];

/** Runs every target `numRuns` times; returns the total, throws the first counterexample. */
export function fuzzAll(numRuns, seed) {
  let total = 0;
  for (const [name, prop] of TARGETS) {
    const out = fc.check(prop, { numRuns, ...(seed !== undefined ? { seed } : {}) });
    if (out.failed) throw new Error(`${name}: ${fc.defaultReportMessage(out)}`);
    total += out.numRuns;
  }
  return total;
}
