// One settings module for every WARDEN_* variable: validated, case-insensitive where the values
// are words, a problem (stderr line and finding, by each reader) for what is not understood.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers.mjs';

const { readSettings, SETTINGS } = createRequire(import.meta.url)('../../dist/lib.cjs');

test('enumerated settings are trimmed and case-insensitive, for every reader alike', () => {
  for (const [value, mode] of [
    ['enforce', 'enforce'],
    ['Enforce', 'enforce'],
    [' MONITOR ', 'monitor'],
  ]) {
    const s = readSettings({ WARDEN_MODE: value });
    assert.equal(s.mode, mode, value);
    assert.deepEqual(s.problems, []);
  }
  assert.equal(readSettings({ WARDEN_ON_POLICY_ERROR: 'Deny-All' }).onPolicyError, 'deny-all');
  assert.equal(readSettings({ WARDEN_INJECT_FAULT: 'REPORT' }).injectFault, 'report');
});

test('a value that is not understood is a problem with its documented fallback, never a silent default', () => {
  const s = readSettings({ WARDEN_MODE: 'bogus' });
  assert.equal(s.mode, undefined, "the policy's own mode stands");
  assert.equal(s.problems.length, 1);
  assert.match(
    s.problems[0].message,
    /WARDEN_MODE="bogus": not one of monitor, enforce; using the policy's own `mode`/,
  );
  const cases = {
    WARDEN_ON_POLICY_ERROR: 'fail',
    WARDEN_TRACE_STARTUP: 'maybe',
    WARDEN_WATCH_INTERVAL_MS: '0',
    WARDEN_COLLECTOR_URL: 'ftp://x',
    WARDEN_ACCOUNT_ID: '12345',
    WARDEN_DISABLE_HOOKS: 'fs,sockets',
    WARDEN_INJECT_FAULT: 'everything',
    WARDEN_SANDBOX_CGROUPS: 'nope',
  };
  for (const [name, value] of Object.entries(cases)) {
    const r = readSettings({ [name]: value });
    assert.equal(r.problems.length, 1, `${name}=${value}: ${JSON.stringify(r.problems)}`);
    assert.equal(r.problems[0].name, name);
    assert.match(r.problems[0].message, /; using /);
  }
  const d = readSettings({ WARDEN_DISABLE_HOOKS: 'fs, Sockets ,env' });
  assert.deepEqual(d.disabledHooks, ['fs', 'env'], 'the known items still apply');
  assert.equal(readSettings({ WARDEN_WATCH_INTERVAL_MS: 'x' }).watchIntervalMs, 8);
  assert.equal(readSettings({ WARDEN_COLLECTOR_URL: 'not a url' }).collectorUrl, undefined);
});

test('a WARDEN_* name that is no setting is a problem naming the closest one', () => {
  const s = readSettings({ WARDEN_MDOE: 'enforce', WARDEN_NODE_22: '/x/node', PATH: '/bin' });
  assert.equal(s.problems.length, 1, JSON.stringify(s.problems));
  assert.match(
    s.problems[0].message,
    /WARDEN_MDOE is not a Warden setting \(did you mean WARDEN_MODE\?\); ignored/,
  );
});

test('flags accept 1/0, true/false, yes/no, on/off in any case', () => {
  for (const v of ['1', 'true', 'YES', 'On'])
    assert.equal(readSettings({ WARDEN_TRACE_STARTUP: v }).traceStartup, true);
  for (const v of ['0', 'false', 'no', 'OFF', '']) {
    const s = readSettings({ WARDEN_TRACE_STARTUP: v });
    assert.equal(s.traceStartup, false);
    assert.deepEqual(s.problems, []);
  }
});

test('the README lists every setting, with its values and fallback, and nothing else', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- settings -->');
  const end = readme.indexOf('<!-- /settings -->');
  assert.ok(start > 0 && end > start, 'README has a settings table between <!-- settings --> markers');
  const rows = readme
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| `WARDEN_'))
    .map((l) => l.split('|').map((c) => c.trim()));
  const named = rows.map((r) => r[1].replaceAll('`', ''));
  assert.deepEqual(
    named,
    SETTINGS.map((s) => s.name),
  );
  for (const [i, s] of SETTINGS.entries()) {
    const row = rows[i].join(' ');
    for (const v of s.values ?? [])
      assert.ok(row.includes(`\`${v}\``), `${s.name}: value ${v} not in the README`);
    assert.ok(row.includes(s.fallback), `${s.name}: fallback not in the README: ${s.fallback}`);
  }
});
