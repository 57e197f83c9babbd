// The compatibility suite: real npm packages that Lambda functions depend on (compat/, pinned in
// compat/package-lock.json), each exercised the way a handler uses it (loopback only), run plain,
// under the sensor in monitor mode (no policy) and in enforce mode (the default policy, or the
// case's reviewed policy where it runs programs), and on Node ≥ 22 in enforce mode under Node's
// permission model as the layer adds it (nodePermissions: auto), on every Node given: the output
// and exit status must be identical, and no finding may appear on this benign code unless the case names it.
// Also: the own test suites of packages that ship them (the same pass count), and a subset
// through the local Lambda sandbox (the same responses with and without Warden).
//
//   node scripts/compat.mjs [--quick] [--node 20,22,24] [--case NAME]... [--no-sandbox]
//                           [--no-suites] [--write-doc] [--sensor FILE]
// --quick: the cases marked quick, on this machine's Node and 24 (what CI runs).
// --write-doc: writes the results table to docs/compat.md (a full run).
// --sensor: another build's sensor.cjs (what a change fixed: run it against the previous one).
// Exit 0 when every run matched, 1 otherwise (each difference is printed).
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const SOURCE = join(ROOT, 'compat');
/**
 * Where the corpus runs from: compat/ itself, except in a checkout under a writable temp dir
 * (/tmp, /var/tmp, /dev/shm), where a function's code never is in Lambda (it is /var/task) and
 * where the default policy rightly refuses native addons (sharp's): there a copy under
 * ~/.cache/warden/compat, kept between runs (its install too, while the lock is the same).
 */
const COMPAT = /^\/(tmp|var\/tmp|dev\/shm)\//.test(`${SOURCE}/`)
  ? join(homedir(), '.cache', 'warden', 'compat')
  : SOURCE;
let SENSOR = join(ROOT, 'dist', 'sensor.cjs');
const CLI = join(ROOT, 'dist', 'cli.cjs');
const require = createRequire(import.meta.url);
const lib = require(join(ROOT, 'dist', 'lib.cjs'));

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    node: { type: 'string' },
    case: { type: 'string', multiple: true },
    'no-sandbox': { type: 'boolean', default: false },
    'no-suites': { type: 'boolean', default: false },
    'write-doc': { type: 'boolean', default: false },
    sensor: { type: 'string' },
  },
});

// --- set-up: the corpus's own install (not the project's: no audit noise, no bundle bloat)
function installCorpus() {
  if (COMPAT !== SOURCE) {
    mkdirSync(COMPAT, { recursive: true });
    for (const entry of readdirSync(SOURCE))
      if (entry !== 'node_modules' && entry !== 'build') {
        rmSync(join(COMPAT, entry), { recursive: true, force: true }); // no case left from an older copy
        cpSync(join(SOURCE, entry), join(COMPAT, entry), { recursive: true, preserveTimestamps: true });
      }
  }
  const lock = join(COMPAT, 'package-lock.json');
  const stamp = join(COMPAT, 'node_modules', '.package-lock.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log(`compat: installing the corpus (npm ci in ${COMPAT})…`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: COMPAT,
    stdio: 'inherit',
  });
}

/** The esbuild-bundle case's handler: lodash and dayjs inlined into one file, as deployed. */
function buildBundle() {
  const esbuild = require('esbuild');
  mkdirSync(join(COMPAT, 'build'), { recursive: true });
  esbuild.buildSync({
    entryPoints: [join(COMPAT, 'src-bundle', 'handler.cjs')],
    outfile: join(COMPAT, 'build', 'bundle.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    absWorkingDir: COMPAT,
    logLevel: 'error',
  });
}

// --- the matrix
if (opts.sensor) SENSOR = opts.sensor; // another build of the sensor, to compare
installCorpus();
buildBundle();
const allCases = readdirSync(join(COMPAT, 'cases'))
  .filter((f) => f.endsWith('.cjs'))
  .map((f) => f.slice(0, -4))
  .sort();
const metaOf = (name) => require(join(COMPAT, 'cases', `${name}.cjs`)).meta ?? {};
const selected = opts.case?.length
  ? opts.case
  : opts.quick
    ? allCases.filter((c) => metaOf(c).quick)
    : allCases;
const ownMajor = Number(process.versions.node.split('.')[0]);
const majors = opts.node
  ? opts.node.split(',').map(Number)
  : opts.quick
    ? [...new Set([ownMajor, 24])]
    : [20, 22, 24];
const nodes = majors.map((m) => {
  const bin = lib.findNode(`nodejs${m}.x`);
  if (!bin) {
    console.error(`compat: Node ${m} is not installed (scripts/install-node.sh ${m})`);
    process.exit(2);
  }
  return { major: m, bin };
});

const CANARY = {
  AWS_ACCESS_KEY_ID: 'ASIACOMPATCANARY0001',
  AWS_SECRET_ACCESS_KEY: 'compat/canary/secret/key/not/a/real/one/0001',
  AWS_SESSION_TOKEN: 'compat-canary-session-token',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
};
const MODES = ['plain', 'monitor', 'enforce'];
/**
 * Enforce mode as the layer runs it where `nodePermissions: auto` applies (Node ≥ 22): under
 * Node's permission model, with the flags the layer build computes for the case's policy, where
 * Node refuses process.binding and the sensor judges at the public APIs (README).
 */
const PERMISSION = 'enforce+permission';
const modesOn = (major) => (major >= 22 ? [...MODES, PERMISSION] : MODES);

/** The permission-model flags of a case's enforce policy on this Node, as the wrapper expands them. */
function permissionArgs(name, major, findingsFile) {
  const meta = metaOf(name);
  const policy = meta.enforcePolicy
    ? lib.parsePolicy(
        meta.enforcePolicy,
        readFileSync(join(COMPAT, 'policies', `${meta.enforcePolicy}.yaml`), 'utf8'),
      ).policy
    : { ...lib.defaultPolicy(), mode: 'enforce' };
  const r = lib.permissionModelApplies(policy, lib.lambdaNodeFeatures(major));
  if (!r) return [];
  return r.flags.flatMap((f) =>
    f === '@platform-read@'
      ? [COMPAT, ...process.env.PATH.split(':').filter((d) => d.startsWith('/'))].map(
          (d) => `--allow-fs-read=${d}`,
        )
      : f === '@platform-write@'
        ? [`--allow-fs-write=${findingsFile}`]
        : [f.replaceAll(`$${'{LAMBDA_TASK_ROOT}'}`, COMPAT)],
  );
}

/** Runs a command, resolving with its exit code and output (never rejects). */
function run(bin, args, env, cwd, timeoutMs = 60000) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

function readFindings(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const ruleOf = (f) => f.finding_info.analytic.uid;

/** One case in one mode on one Node: { code, stdout, findings }. */
async function runMode(name, mode, node) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-compat-'));
  try {
    const meta = metaOf(name);
    const env = { PATH: process.env.PATH, HOME: dir, TZ: 'UTC', LANG: 'C.UTF-8', ...CANARY };
    const args = [join(COMPAT, 'run-case.cjs'), name];
    if (mode !== 'plain') {
      const enforce = mode === 'enforce' || mode === PERMISSION;
      args.unshift('--require', SENSOR);
      env.WARDEN_MODE = enforce ? 'enforce' : mode;
      env.WARDEN_FINDINGS = join(dir, 'findings.jsonl');
      if (enforce && meta.enforcePolicy)
        env.WARDEN_POLICY = join(COMPAT, 'policies', `${meta.enforcePolicy}.yaml`);
      if (mode === PERMISSION) args.unshift(...permissionArgs(name, node.major, env.WARDEN_FINDINGS));
    }
    const r = await run(node.bin, args, env, COMPAT);
    return {
      code: r.code,
      stdout: r.stdout.trim(),
      stderr: r.stderr,
      findings: readFindings(join(dir, 'findings.jsonl')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Findings a case names as expected in a mode (the default policy's verdict on its programs). */
function expectedRules(name, mode) {
  return new Set(
    metaOf(name).expected?.[mode] ??
      (metaOf(name).enforcePolicy && mode === 'monitor' ? ['warden.process.spawn'] : []),
  );
}

async function pool(items, size, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

const problems = [];
const table = new Map(); // case → major → 'ok' | 'FAIL'

async function runCases() {
  const jobs = [];
  for (const node of nodes) for (const name of selected) jobs.push({ node, name });
  await pool(jobs, 2, async ({ node, name }) => {
    const results = {};
    for (const mode of modesOn(node.major)) results[mode] = await runMode(name, mode, node);
    const where = `${name} on Node ${node.major}`;
    const failures = [];
    const base = results.plain;
    if (base.code !== 0)
      failures.push(`plain run failed (${base.code}): ${base.stdout} ${base.stderr.slice(0, 300)}`);
    for (const mode of modesOn(node.major).slice(1)) {
      const r = results[mode];
      if (r.code !== base.code || r.stdout !== base.stdout)
        failures.push(
          `${mode}: output differs\n    plain:   ${base.code} ${base.stdout.slice(0, 400)}\n    ${mode}: ${r.code} ${r.stdout.slice(0, 400)}\n    ${r.stderr.slice(0, 400)}`,
        );
      const allowed = expectedRules(name, mode === PERMISSION ? 'enforce' : mode);
      const noise = r.findings.filter((f) => !allowed.has(ruleOf(f)));
      if (noise.length > 0)
        failures.push(
          `${mode}: ${noise.length} finding(s) on benign code: ${noise
            .slice(0, 4)
            .map((f) => `${ruleOf(f)} ${f.finding_info.desc.slice(0, 160)} [${f.unmapped.package}]`)
            .join('; ')}`,
        );
    }
    const row = table.get(name) ?? new Map();
    row.set(node.major, failures.length === 0 ? 'ok' : 'FAIL');
    table.set(name, row);
    for (const f of failures) problems.push(`${where}: ${f}`);
    process.stdout.write(failures.length === 0 ? '.' : 'F');
  });
  process.stdout.write('\n');
}

// --- the packages' own test suites (tape, offline): the same pass count under the sensor
const SUITES = [
  { pkg: 'minimist', glob: 'test/*.js' },
  { pkg: 'object-inspect', glob: 'test/*.js' },
  { pkg: 'fast-uri', glob: 'test/*.js' },
];
const suiteTable = new Map();

async function runSuites() {
  const tape = join(COMPAT, 'node_modules', 'tape', 'bin', 'tape');
  for (const node of nodes) {
    for (const s of SUITES) {
      const cwd = join(COMPAT, 'node_modules', s.pkg);
      const counts = {};
      for (const mode of MODES) {
        const dir = mkdtempSync(join(tmpdir(), 'warden-suite-'));
        const env = { PATH: process.env.PATH, HOME: dir, TZ: 'UTC', ...CANARY };
        const args = [tape, s.glob];
        if (mode !== 'plain') {
          args.unshift('--require', SENSOR);
          env.WARDEN_MODE = mode;
          env.WARDEN_FINDINGS = join(dir, 'f.jsonl');
        }
        const r = await run(node.bin, args, env, cwd, 300000);
        const pass = Number(/# pass\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
        const fail = Number(/# fail\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
        counts[mode] = { pass, fail, code: r.code, findings: readFindings(join(dir, 'f.jsonl')).length };
        rmSync(dir, { recursive: true, force: true });
      }
      const p = counts.plain;
      const same = ['monitor', 'enforce'].every(
        (m) =>
          counts[m].pass === p.pass &&
          counts[m].fail === p.fail &&
          counts[m].code === p.code &&
          counts[m].findings === 0,
      );
      if (p.pass === 0) problems.push(`${s.pkg}'s own tests on Node ${node.major}: none passed plain`);
      if (!same) problems.push(`${s.pkg}'s own tests on Node ${node.major}: ${JSON.stringify(counts)}`);
      const row = suiteTable.get(s.pkg) ?? new Map();
      row.set(node.major, `${counts.monitor.pass}/${p.pass}${same ? '' : ' FAIL'}`);
      suiteTable.set(s.pkg, row);
      process.stdout.write(same ? '.' : 'F');
    }
  }
  process.stdout.write('\n');
}

// --- a subset through the local Lambda sandbox, as deployed (the layer, the exec wrapper)
const sandboxTable = new Map();

async function runSandbox() {
  const names = selected.filter((c) => metaOf(c).sandbox);
  if (names.length === 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'warden-compat-sb-'));
  try {
    const events = names.map((name) => {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ case: name }));
      return file;
    });
    const runtimes = nodes.map((n) => n.major).filter((m) => m >= 20);
    for (const major of runtimes) {
      const responses = {};
      for (const variant of ['no-warden', 'monitor', 'enforce']) {
        const findings = join(dir, `findings-${major}-${variant}.jsonl`);
        const args = [
          CLI,
          'invoke',
          COMPAT,
          '--handler',
          'handler.handler',
          '--runtime',
          `nodejs${major}.x`,
          '--timeout',
          '30',
        ];
        for (const e of events) args.push('--event', e);
        args.push('--findings', findings);
        if (variant === 'no-warden') args.push('--no-warden');
        else args.push('--mode', variant);
        const r = await run(process.execPath, args, { ...process.env }, ROOT, 300000);
        const lines = r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
        if (r.code !== 0 || lines.length !== names.length)
          problems.push(
            `sandbox nodejs${major}.x ${variant}: exit ${r.code}, ${lines.length} results: ${r.stderr.slice(-600)}`,
          );
        responses[variant] = { lines, findings: readFindings(findings) };
      }
      for (const [i, name] of names.entries()) {
        const plain = responses['no-warden'].lines[i];
        let ok = plain?.status === 'success';
        for (const variant of ['monitor', 'enforce']) {
          const r = responses[variant].lines[i];
          if (
            !r ||
            r.status !== plain?.status ||
            JSON.stringify(r.response) !== JSON.stringify(plain?.response)
          ) {
            ok = false;
            problems.push(
              `sandbox nodejs${major}.x ${name} ${variant}: ${JSON.stringify(r)?.slice(0, 300)} vs ${JSON.stringify(plain)?.slice(0, 300)}`,
            );
          }
        }
        const row = sandboxTable.get(name) ?? new Map();
        row.set(major, ok ? 'ok' : 'FAIL');
        sandboxTable.set(name, row);
      }
      for (const variant of ['monitor', 'enforce']) {
        // The sandbox subset runs no programs: any finding there is noise.
        const noise = responses[variant].findings;
        if (noise.length > 0)
          problems.push(
            `sandbox nodejs${major}.x ${variant}: ${noise.length} finding(s) on benign code: ${noise
              .slice(0, 4)
              .map((f) => `${ruleOf(f)} ${f.finding_info.desc.slice(0, 160)}`)
              .join('; ')}`,
          );
      }
      process.stdout.write('.');
    }
    process.stdout.write('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function versionOf(name) {
  const text = readFileSync(join(COMPAT, 'cases', `${name}.cjs`), 'utf8');
  const pkgs = [
    ...new Set(
      metaOf(name).packages ??
        [
          ...text.matchAll(/require\('((?:@[^/']+\/)?[^/'.][^/']*)/g),
          ...text.matchAll(/import\('((?:@[^/']+\/)?[^/'.][^/']*)/g),
        ].map((m) => m[1]),
    ),
  ]
    .filter((p) => !p.startsWith('node:') && existsSync(join(COMPAT, 'node_modules', p, 'package.json')))
    .map((p) => {
      const pj = JSON.parse(readFileSync(join(COMPAT, 'node_modules', p, 'package.json'), 'utf8'));
      return `${pj.name}@${pj.version}`;
    });
  return pkgs.join(', ') || '(Node only)';
}

function writeDoc() {
  const head = `| case | packages | ${majors.map((m) => `Node ${m}`).join(' | ')} | sandbox |`;
  const rule = `| --- | --- | ${majors.map(() => '---').join(' | ')} | --- |`;
  const rows = [...table.keys()].sort().map((name) => {
    const row = table.get(name);
    const sb = sandboxTable.get(name);
    return `| ${name} | ${versionOf(name)} | ${majors.map((m) => (row.get(m) === 'ok' ? '✓' : (row.get(m) ?? '–'))).join(' | ')} | ${sb ? [...sb.entries()].map(([m, v]) => `${v === 'ok' ? '✓' : v} ${m}`).join(', ') : '–'} |`;
  });
  const suites = [...suiteTable.keys()].map(
    (pkg) =>
      `| ${pkg}@${JSON.parse(readFileSync(join(COMPAT, 'node_modules', pkg, 'package.json'), 'utf8')).version} | ${majors.map((m) => suiteTable.get(pkg).get(m) ?? '–').join(' | ')} |`,
  );
  const doc = readFileSync(join(ROOT, 'docs', 'compat.md'), 'utf8');
  const start = doc.indexOf('<!-- results -->');
  const end = doc.indexOf('<!-- /results -->');
  const body = [
    '<!-- results -->',
    '',
    `Last full run: ${new Date().toISOString().slice(0, 10)}, \`npm run compat\` (${selected.length} cases × plain / monitor / enforce / enforce under the permission model (Node ≥ 22) × Node ${majors.join(', ')}): ${problems.length === 0 ? 'every run matched' : `${problems.length} problem(s)`}.`,
    '',
    head,
    rule,
    ...rows,
    '',
    'Own test suites (tests passing under the sensor / plain; the same in monitor and enforce):',
    '',
    `| package | ${majors.map((m) => `Node ${m}`).join(' | ')} |`,
    `| --- | ${majors.map(() => '---').join(' | ')} |`,
    ...suites,
    '',
    '<!-- /results -->',
  ].join('\n');
  writeFileSync(
    join(ROOT, 'docs', 'compat.md'),
    `${doc.slice(0, start)}${body}${doc.slice(end + '<!-- /results -->'.length)}`,
  );
  // Formatted as the linter wants it (Biome formats Markdown tables).
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'biome'),
    ['format', '--write', join(ROOT, 'docs', 'compat.md')],
    {
      stdio: 'ignore',
    },
  );
}

const t0 = Date.now();
console.log(
  `compat: ${selected.length} cases × ${MODES.join('/')} (+ ${PERMISSION} on Node ≥ 22) × Node ${majors.join(', ')}`,
);
await runCases();
if (!opts['no-suites']) await runSuites();
if (!opts['no-sandbox']) await runSandbox();
if (opts['write-doc']) writeDoc();
const seconds = ((Date.now() - t0) / 1000).toFixed(0);
if (problems.length > 0) {
  console.log(`\ncompat: ${problems.length} problem(s):`);
  for (const p of problems) console.log(`  - ${p}`);
  console.log(
    `${selected.length * majors.length - [...table.values()].reduce((n, r) => n + [...r.values()].filter((v) => v !== 'ok').length, 0)} passed, ${problems.length} failed`,
  );
  process.exit(1);
}
console.log(`compat: every run matched (${seconds} s)`);
console.log(`${selected.length * majors.length} passed, 0 failed`);
