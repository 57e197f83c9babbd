// The console's pages in a real browser (Debian's chromium through playwright-core): the demo's
// real findings are shipped to `warden serve`, then the incident list (filters, bulk triage) and
// an incident (its timeline, the input that carried the attack, MITRE techniques, triage, the raw
// OCSF) are used as a person would, with no console error. On both stores. UPDATE_SCREENSHOTS=1
// writes the screenshots to docs/console/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers.mjs';
import { freshDatabase } from '../postgres.mjs';
import { demo, SKIP, shotsDir, signedIn, TOKEN } from './browser-helpers.mjs';
import { postBatch, startServe as serveOn } from './serve-helpers.mjs';

const startServe = (db) => serveOn({ db, token: TOKEN });
const post = async (url, findings) => (await postBatch(url, findings, { token: TOKEN })).status;

for (const backend of ['sqlite', 'postgres']) {
  test(
    `[${backend}] the incident list and an incident, in a browser: filters, bulk triage, timeline, input, techniques, raw OCSF`,
    SKIP[backend],
    async () => {
      const findings = await demo();
      const { dir, cleanup } = tempDir('warden-pages-');
      const serve = await startServe(
        backend === 'postgres' ? await freshDatabase() : join(dir, 'console.sqlite'),
      );
      const { browser, page, errors } = await signedIn(serve.url);
      try {
        assert.equal(await post(serve.url, findings), 200);
        // Without the token: refused, and told how to sign in.
        const stranger = await browser.newPage();
        const denied = await stranger.goto(`${serve.url}/incidents`);
        assert.equal(denied.status(), 401);
        assert.match(await stranger.textContent('body'), /login\?token=/);
        await stranger.close();
        await page.goto(serve.url);
        // Signed in: the overview — findings per day by severity, the top functions, rules, packages.
        assert.match(page.url(), /\/$/);
        assert.match(await page.textContent('h1'), /Overview/);
        // The server draws the bars (SVG: the picture without script); the page's one script redraws
        // them with uPlot (a cursor that reads out each severity, a legend that hides one).
        const chart = page.locator('figure[data-chart]');
        const spec = JSON.parse(await chart.getAttribute('data-chart'));
        assert.equal(spec.days.length, 14);
        assert.equal(
          spec.series.reduce((n, x) => n + x.values.reduce((a, b) => a + b, 0), 0),
          findings.length,
          'every finding counted',
        );
        await page.waitForSelector('figure[data-chart][data-drawn="5"] .uplot canvas');
        assert.equal(await page.locator('figure[data-chart] svg').count(), 0);
        assert.match(await page.textContent('figure[data-chart] .u-legend'), /Critical[\s\S]*Informational/);
        // Without script, the SVG is the chart.
        const plain = await browser.newPage({ javaScriptEnabled: false });
        await plain.goto(`${serve.url}/login?token=${TOKEN}`);
        assert.ok(
          (await plain.locator('figure[data-chart] svg rect').count()) >= 2,
          'bars for the demo findings',
        );
        await plain.close();
        // Pages say where scripts may come from, and may not be framed.
        const headers = (await page.goto(serve.url)).headers();
        assert.match(headers['content-security-policy'], /script-src 'self';.*frame-ancestors 'none'/);
        await page.waitForSelector('figure[data-chart][data-drawn] canvas');
        assert.match(await page.textContent('main'), /Top rules[\s\S]*warden\.detect\.command-injection/);
        assert.match(await page.textContent('main'), /doc-convert\s*14/);
        assert.match(await page.textContent('main'), /New: 2/);
        const shotDir = shotsDir(dir);
        await page.screenshot({ path: join(shotDir, 'overview.png'), fullPage: true });
        // A top package's link filters the list by it.
        await page.click('section.top >> nth=2 >> a');
        assert.match(page.url(), /\/incidents\?package=%3Cfunction%3E$/);
        assert.equal(await page.locator('tr[data-incident]').count(), 2);
        await page.goto(`${serve.url}/incidents`);
        // The demo's two attacks, in both modes: two incidents (the enforce run repeats the monitor run's).
        const rows = page.locator('tr[data-incident]');
        assert.equal(await rows.count(), 2);
        await page.screenshot({ path: join(shotDir, 'incidents.png'), fullPage: true });
        // Filter by rule.
        await page.fill('input[name=rule]', 'warden.detect.path-traversal');
        await Promise.all([page.waitForURL(/rule=/), page.click('button:has-text("Filter")')]);
        assert.equal(await rows.count(), 1);
        await page.goto(`${serve.url}/incidents`);
        // Bulk triage: the command injection incident, in progress, to sam.
        const injection = rows.filter({ hasText: 'Command injection' });
        await injection.locator('input[type=checkbox]').check();
        await page.selectOption('form[action="/incidents/triage"] select[name=state]', 'in_progress');
        await page.fill('form[action="/incidents/triage"] input[name=assignee]', 'sam');
        await page.click('button:has-text("Apply")');
        assert.match(await page.textContent('[role=status]'), /1 incident\(s\) updated/);
        assert.match(await injection.textContent(), /In progress[\s\S]*sam/);
        // The incident itself.
        await injection.locator('a[href^="/incidents/"]').click();
        assert.match(await page.textContent('h1'), /Command injection/);
        // The process tree: the runtime, under it each shell the injection started (its command
        // line, the rules that fired on it), in each mode.
        const shells = page.locator('ul.tree li.proc li.proc');
        assert.equal(await shells.count(), 2, await page.locator('ul.tree').innerHTML());
        assert.match(
          await shells.first().textContent(),
          /\/bin\/sh -c[\s\S]*warden\.detect\.command-injection/,
        );
        assert.match(await page.locator('ul.tree > li.proc').first().textContent(), /the function's runtime/);
        assert.equal(await page.locator('tr.finding').count(), 8, 'four findings in each mode');
        assert.match(await page.locator('tr.input').first().textContent(), /body/);
        assert.match(await page.textContent('dl'), /T1059\.004/);
        assert.match(await page.textContent('details pre'), /"class_uid": 2004/);
        await page.screenshot({ path: join(shotDir, 'incident.png'), fullPage: true });
        // Closing without a reason is refused; with one, it is closed.
        await page.selectOption('main form select[name=state]', 'closed');
        await page.selectOption('main form select[name=reason]', 'true_positive');
        await page.click('button:has-text("Save")');
        assert.match(await page.textContent('dl'), /Closed · True positive/);
        assert.deepEqual(errors, []);
        // A form posted from another site is refused.
        const forged = await fetch(`${serve.url}/incidents/triage`, {
          method: 'POST',
          headers: {
            origin: 'https://attacker.example',
            cookie: `warden_token=${TOKEN}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'id=x&state=closed&reason=test',
        });
        assert.equal(forged.status, 403);
      } finally {
        await browser.close();
        await serve.stop();
        cleanup();
      }
    },
  );
}
