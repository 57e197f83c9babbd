/** Node's command-line options, as the sensor and the outside view read a command line. */

/**
 * Options whose value is the next argument (`node --require x.js app.js`: the script is app.js).
 * Node's own on 20, 22 and 24, including those a child inherits through `process.execArgv`:
 * every option Node's option parser types as taking a value, and its one-letter aliases
 * (test/unit/node-options.test.mjs checks the running Node's own table), plus the V8 options
 * that take one. `-e`/`--eval` (and `-p`) are not here: their argument is code, not a file, and
 * the readers treat them apart.
 */
export const NODE_VALUE_OPTIONS = new Set([
  '--allow-fs-read',
  '--allow-fs-write',
  '--build-snapshot-config',
  '--conditions',
  '--cpu-prof-dir',
  '--cpu-prof-interval',
  '--cpu-prof-name',
  '--debug-port',
  '--diagnostic-dir',
  '--disable-proto',
  '--disable-warning',
  '--dns-result-order',
  '--env-file',
  '--env-file-if-exists',
  '--experimental-config-file',
  '--experimental-default-config-file',
  '--experimental-default-type',
  '--experimental-loader',
  '--experimental-package-map',
  '--experimental-policy',
  '--experimental-sea-config',
  '--experimental-test-isolation',
  '--experimental-test-tag-filter',
  '--heap-prof-dir',
  '--heap-prof-interval',
  '--heap-prof-name',
  '--heapsnapshot-near-heap-limit',
  '--heapsnapshot-signal',
  '--icu-data-dir',
  '--import',
  '--input-type',
  '--inspect-port',
  '--inspect-publish-uid',
  '--loader',
  '--localstorage-file',
  '--max-http-header-size',
  '--max-old-space-size',
  '--max-old-space-size-percentage',
  '--max-semi-space-size',
  '--network-family-autoselection-attempt-timeout',
  '--openssl-config',
  '--policy-integrity',
  '--redirect-warnings',
  '--report-dir',
  '--report-directory',
  '--report-filename',
  '--report-signal',
  '--require',
  '--run',
  '--secure-heap',
  '--secure-heap-min',
  '--security-revert',
  '--security-reverts',
  '--snapshot-blob',
  '--stack-size',
  '--stack-trace-limit',
  '--test-concurrency',
  '--test-coverage-branches',
  '--test-coverage-exclude',
  '--test-coverage-functions',
  '--test-coverage-include',
  '--test-coverage-lines',
  '--test-global-setup',
  '--test-isolation',
  '--test-name-pattern',
  '--test-random-seed',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-rerun-failures',
  '--test-shard',
  '--test-skip-pattern',
  '--test-timeout',
  '--title',
  '--tls-cipher-list',
  '--tls-keylog',
  '--trace-event-categories',
  '--trace-event-file-pattern',
  '--trace-require-module',
  '--unhandled-rejections',
  '--use-largepages',
  '--v8-pool-size',
  '--watch-kill-signal',
  '--watch-path',
  '-C',
  '-r',
]);

/**
 * Node's options that only restrict the process they are given to: the permission model and
 * what it grants (meaningless without `--permission`), refusing code generation from strings,
 * silencing the model's warning. Warden's wrapper adds them to the runtime's command line, and a
 * child started with `fork` (or `process.execArgv`) inherits them; a command with them does
 * nothing its equal without them could not.
 */
const RESTRICTING =
  /^--(?:permission|experimental-permission|allow-(?:fs-read|fs-write)=.*|allow-(?:child-process|worker|addons|wasi|net)|disallow-code-generation-from-strings|disable-warning=SecurityWarning)$/;

/**
 * A Node command line without its restricting options (those before the script or `-e` code),
 * as policies compare it: learned without them, run with them when the layer enforces with
 * Node's permission model. Any other command line is returned as it is.
 */
export function withoutNodeRestrictions(exe: string, argv: readonly string[]): readonly string[] {
  if (!/^node(?:js)?$/.test(exe.slice(exe.lastIndexOf('/') + 1))) return argv;
  let i = 1;
  let removed = false;
  const out = [argv[0] ?? exe];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '--' || a === '-e' || a === '--eval' || a === '-p' || a === '--print')
      break;
    if (RESTRICTING.test(a)) {
      removed = true;
      continue;
    }
    out.push(a);
    if (NODE_VALUE_OPTIONS.has(a) && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return removed ? [...out, ...argv.slice(i)] : argv;
}
