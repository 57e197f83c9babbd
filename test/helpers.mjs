// Shared test helpers: run a script under the built sensor in a child Node (hooks change
// global state, so every sensor test runs in its own process), collect its findings.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SENSOR = join(ROOT, 'dist', 'sensor.cjs');
export const NODE = process.execPath;
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'warden-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `files` ({relativePath: content}) under dir. */
export function writeTree(dir, files) {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/**
 * Runs `script` (CommonJS source, or {file: name} of a file in `files`) with
 * `node --require dist/sensor.cjs`. Returns {code, stdout, stderr, findings, dir, out}.
 * `out` is the parsed JSON of the last stdout line starting with `RESULT `, when any.
 */
export async function runSensor(script, opts = {}) {
  const { dir, cleanup } = tempDir();
  try {
    if (opts.files) writeTree(dir, typeof opts.files === 'function' ? opts.files(dir) : opts.files);
    const main = join(dir, opts.main ?? 'main.js');
    if (typeof script === 'string') writeFileSync(main, script.replaceAll('$DIR', dir));
    const findingsFile = join(dir, 'findings.jsonl');
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      ...(opts.mode ? { WARDEN_MODE: opts.mode } : {}),
      ...(opts.stdoutFindings ? {} : { WARDEN_FINDINGS: findingsFile }),
      ...Object.fromEntries(
        Object.entries(opts.env ?? {}).map(([k, v]) => [k, String(v).replaceAll('$DIR', dir)]),
      ),
    };
    if (opts.policy !== undefined) {
      const policyFile = join(dir, opts.policyName ?? 'policy.yaml');
      writeFileSync(
        policyFile,
        (typeof opts.policy === 'string' ? opts.policy : JSON.stringify(opts.policy)).replaceAll('$DIR', dir),
      );
      env.WARDEN_POLICY = policyFile;
    }
    const args = [
      ...(opts.nodeArgs ?? []),
      ...(opts.noSensor ? [] : ['--require', SENSOR]),
      main,
      ...(opts.args ?? []),
    ];
    const { code, stdout, stderr } = await new Promise((resolve) => {
      execFile(
        opts.node ?? NODE,
        args,
        { cwd: opts.cwd ?? dir, env, timeout: opts.timeout ?? 20000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
    const findings = existsSync(findingsFile) ? parseLines(readFileSync(findingsFile, 'utf8')) : [];
    const resultLine = stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('RESULT '));
    const out = resultLine ? JSON.parse(resultLine.slice(7)) : undefined;
    // The dir is removed below: snapshot which files exist now.
    const present = new Set(listTree(dir));
    const markers = (name) =>
      name.endsWith('*') ? [...present].some((p) => p.startsWith(name.slice(0, -1))) : present.has(name);
    return {
      code,
      stdout,
      stderr,
      findings,
      out,
      dir,
      markers,
      stdoutFindings: parseLines(
        stdout
          .split('\n')
          .filter((l) => l.startsWith('{"class_uid"'))
          .join('\n'),
      ),
    };
  } finally {
    if (!opts.keep) cleanup();
  }
}

/** Relative paths under dir, not following symlinks. */
function listTree(dir, prefix = '') {
  const out = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...listTree(dir, rel));
  }
  return out;
}

export function parseLines(text) {
  return text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** Findings whose rule id starts with `rule` (and, optionally, whose disposition is `disposition`). */
export function findingsFor(findings, rule, disposition) {
  return findings.filter(
    (f) => f.finding_info.analytic.uid.startsWith(rule) && (!disposition || f.disposition === disposition),
  );
}

/** A compact description of findings, for assertion messages. */
export function describe(findings) {
  return JSON.stringify(
    findings.map(
      (f) => `${f.disposition} ${f.finding_info.analytic.uid} ${f.message} [${f.unmapped.package}]`,
    ),
    null,
    1,
  );
}

/** Script prologue: report a result line the test reads back as `out`. */
export const REPORT = `
const __results = {};
function record(key, value) { __results[key] = value; }
function codeOf(e) { return e && (e.code || (e.cause && e.cause.code) || e.name); }
process.on('exit', () => { process.stdout.write('RESULT ' + JSON.stringify(__results) + '\\n'); });
`;

export const FIXTURE_PACKAGES = join(ROOT, 'test', 'fixtures', 'packages', 'node_modules');

/** A policy that lets `touch` (and the shell) run, for the "allowed call still works" cases. */
export const ALLOW_TOUCH = `version: 1
process:
  default: deny
  allow: [/bin/sh, /usr/bin/sh, /usr/bin/dash, /usr/bin/bash, /bin/bash, touch, /usr/bin/touch, /bin/touch]
`;

/** Entries of a zip file (central directory): name and Unix mode. */
export function zipEntries(file) {
  const buf = Buffer.isBuffer(file) ? file : readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    const nameLen = buf.readUInt16LE(off + 28);
    const extraLen = buf.readUInt16LE(off + 30);
    const commentLen = buf.readUInt16LE(off + 32);
    const mode = buf.readUInt32LE(off + 38) >>> 16;
    out.push({ name: buf.toString('utf8', off + 46, off + 46 + nameLen), mode });
    off += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
