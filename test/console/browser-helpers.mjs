// What the console's browser tests share: Debian's chromium through playwright-core, which
// stores each test may run on, the demo's real findings (run once per test file), and a page
// that records every console error.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { NODE, ROOT } from '../helpers.mjs';
import { postgresUnavailable } from '../postgres.mjs';
import { CLI, run } from '../sandbox-helpers.mjs';

export const TOKEN = 'pages-test-token';
const lib = createRequire(import.meta.url)(join(ROOT, 'dist', 'lib.cjs'));
const HAS_SQLITE = lib.hasSqlite(process.version);

function chromiumPath() {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  if (process.env.CI) throw new Error('CI: no chromium (Debian package chromium)');
  return undefined;
}
export const BROWSER = chromiumPath();
const NO_POSTGRES = await postgresUnavailable();

/** Per store, the test's skip option (no browser, no node:sqlite, no PostgreSQL). */
export const SKIP = {
  sqlite: !BROWSER
    ? { skip: 'no chromium (Debian package chromium)' }
    : HAS_SQLITE
      ? {}
      : { skip: `node:sqlite needs Node 22.13 or later (this is ${process.version})` },
  postgres: !BROWSER
    ? { skip: 'no chromium (Debian package chromium)' }
    : NO_POSTGRES
      ? { skip: NO_POSTGRES }
      : {},
};

let demoFindings;
/** The findings `warden demo` produces (both modes), run once per test file. */
export async function demo() {
  if (demoFindings) return demoFindings;
  const r = await run(NODE, [CLI, 'demo', '--json'], { timeout: 170_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  demoFindings = out.runs.flatMap((x) => x.findings);
  return demoFindings;
}

/** A browser and a signed-in page whose console errors land in `errors`. */
export async function signedIn(url) {
  const browser = await chromium.launch({ executablePath: BROWSER, args: ['--no-sandbox'] });
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/login?token=${TOKEN}`);
  return { browser, page, errors };
}

/** Where screenshots go: docs/console/ with UPDATE_SCREENSHOTS=1, else the test's own directory. */
export function shotsDir(dir) {
  const out = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs', 'console') : join(dir, 'shots');
  mkdirSync(out, { recursive: true });
  return out;
}
