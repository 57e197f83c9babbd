// Helpers for the end-to-end tests: run `warden invoke` (the public CLI contract) on a function
// in the local sandbox, on the Lambda runtime of the Node running the suite (so the suite on
// Node 20, 22 and 24 tests nodejs20.x, nodejs22.x and nodejs24.x).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, NODE_MAJOR, ROOT, tempDir } from './helpers.mjs';

export const CLI = join(ROOT, 'dist', 'cli.cjs');
export const RUNTIME = `nodejs${NODE_MAJOR}.x`;
export const FUNCTIONS = join(ROOT, 'test', 'fixtures', 'functions');
export const PROBE_LAYER = join(ROOT, 'test', 'fixtures', 'layers', 'probe');

/** Runs a command, resolving {code, stdout, stderr} (never rejects on a non-zero exit). */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000, ...opts },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * `warden invoke <fn> --handler h --event …` with events given as objects. Returns
 * {code, results (one per stdout line), stderr, findings (parsed), dir (temp, for markers)}.
 * `args` are extra CLI arguments; `$DIR` in events and args is replaced by the temp dir.
 */
export async function invoke(fn, handler, events, { args = [], client, runtime = RUNTIME, env } = {}) {
  const { dir, cleanup } = tempDir('warden-sbx-');
  const sub = (s) => s.replaceAll('$DIR', dir);
  const eventArgs = events.flatMap((e, i) => {
    const f = join(dir, `event-${i}.json`);
    writeFileSync(f, sub(typeof e === 'string' ? e : JSON.stringify(e)));
    return ['--event', f];
  });
  const findingsFile = join(dir, 'findings.jsonl');
  const fnDir = fn.startsWith('/') ? fn : join(FUNCTIONS, fn);
  const r = await run(
    NODE,
    [
      CLI,
      'invoke',
      fnDir,
      '--handler',
      handler,
      ...eventArgs,
      '--findings',
      findingsFile,
      '--runtime',
      runtime,
      ...(client ? ['--client', client] : []),
      ...args.map(sub),
    ],
    env ? { env: { ...process.env, ...env } } : {},
  );
  const results = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const findings = existsSync(findingsFile)
    ? readFileSync(findingsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  return { ...r, results, findings, dir, cleanup };
}

/** The Warden extension's closing stats line (stderr of `warden invoke`), parsed. */
export function extensionStats(stderr) {
  const line = stderr.split('\n').find((l) => l.includes('warden-extension: {'));
  return line ? JSON.parse(line.slice(line.indexOf('{'))) : undefined;
}

/** The probe extension's records (test/fixtures/layers/probe), by kind. */
export function probeRecords(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
