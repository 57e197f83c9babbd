// The console's fleet views in a real browser, on both stores, with real findings (the demo's,
// and Warden's reports about itself from sandbox runs that kill or hide its extension): the
// function page (its policy kept in versions, a bad one refused naming line and field,
// deviations) and "promote to policy" (the diff is what `warden learn --from … --merge` and
// `warden policy diff` print, saved as the next version); suppressions (muted, marked, hidden
// on request, never routed, ended); the ATT&CK matrix; fleet health; routes with a test send.
// No console error anywhere. UPDATE_SCREENSHOTS=1 writes the screenshots to docs/console/.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, ROOT, tempDir } from '../helpers.mjs';
import { validateIncidentFinding } from '../ocsf.mjs';
import { freshDatabase } from '../postgres.mjs';
import { CLI, invoke, run } from '../sandbox-helpers.mjs';
import { demo, SKIP, shotsDir, signedIn, TOKEN } from './browser-helpers.mjs';
import { call, postBatch, receivers, startServe } from './serve-helpers.mjs';

const DEMO_POLICY = join(ROOT, 'examples', 'doc-convert', 'warden-policy.yaml');

let healthFindings;
/** Real reports of Warden about itself: its extension killed by the function; a sensor that never reached it. */
async function warHealth() {
  if (healthFindings) return healthFindings;
  const killed = await invoke('extension', 'index.killExtension', [{}], {
    args: ['--extension', '--mode', 'monitor'],
  });
  const silent = await invoke('extension', 'index.wait', [{ ms: 2300 }], {
    args: ['--extension', '--env', 'WARDEN_CHANNEL=@warden/nowhere', '--timeout', '10'],
  });
  killed.cleanup();
  silent.cleanup();
  healthFindings = [...killed.findings, ...silent.findings];
  const rules = healthFindings.map((f) => f.finding_info.analytic.uid);
  assert.ok(rules.includes('warden.sensor.extension-lost'), rules.join(' '));
  assert.ok(rules.includes('warden.extension.sensor-silent'), rules.join(' '));
  return healthFindings;
}

let deviationFindings;
/**
 * doc-convert's deviations from what it did while learning: a policy learned from its benign
 * events, then its attack run in monitor mode under that policy.
 */
async function deviations() {
  if (deviationFindings) return deviationFindings;
  const { dir, cleanup } = tempDir('warden-deviations-');
  try {
    const fn = join(ROOT, 'examples', 'doc-convert');
    const learned = join(dir, 'learned.yaml');
    const ev = (name) => join(fn, 'events', name);
    const l = await run(NODE, [
      CLI,
      'learn',
      fn,
      '--handler',
      'index.handler',
      '--function-name',
      'doc-convert',
      '--event',
      ev('benign-convert.json'),
      '--event',
      ev('benign-read.json'),
      '--out',
      learned,
    ]);
    assert.equal(l.code, 0, l.stderr);
    const r = await invoke(fn, 'index.handler', [readFileSync(ev('attack-injection.json'), 'utf8')], {
      args: ['--policy', learned, '--mode', 'monitor', '--function-name', 'doc-convert'],
    });
    r.cleanup();
    deviationFindings = r.findings.filter((f) => f.finding_info.analytic.uid.startsWith('warden.deviation.'));
    assert.ok(deviationFindings.length > 0, r.findings.map((f) => f.finding_info.analytic.uid).join(' '));
    return deviationFindings;
  } finally {
    cleanup();
  }
}

for (const backend of ['sqlite', 'postgres']) {
  test(`[${backend}] fleet views in a browser: function and promote to policy, suppressions, ATT&CK matrix, fleet health, routes`, {
    ...SKIP[backend],
    timeout: 240_000,
  }, async () => {
    const findings = await demo();
    const health = await warHealth();
    const drift = await deviations();
    const { dir, cleanup } = tempDir('warden-fleet-pages-');
    const hooks = await receivers();
    const routesFile = join(dir, 'routes.yaml');
    writeFileSync(
      routesFile,
      `routes:\n  - name: team-hook\n    kind: webhook\n    url: ${hooks.url}/hook\n    secret: s3cret\n    minSeverity: medium\n`,
    );
    const serve = await startServe({
      db: backend === 'postgres' ? await freshDatabase() : join(dir, 'console.sqlite'),
      token: TOKEN,
      args: ['--routes', routesFile],
    });
    const api = (method, path, body) =>
      call(serve.url, method, path, {
        token: TOKEN,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
          : {}),
      });
    const { browser, page, errors } = await signedIn(serve.url);
    const shots = shotsDir(dir);
    try {
      // A mute made before the findings arrive: the path traversal incident is stored, never routed.
      const mute = await api('POST', '/api/suppressions', {
        functions: 'doc-convert',
        rules: '{warden.files.read,warden.rule.proc-environ-read,warden.detect.path-traversal}',
        owner: 'lee',
        reason: 'pen test of the upload path this week',
        days: 7,
      });
      assert.equal(mute.status, 201, JSON.stringify(mute.body));
      for (const bad of [
        { functions: '*', rules: '*', owner: 'x', reason: 'everything', days: 1 },
        { functions: 'a', rules: 'b', owner: 'x', reason: 'too long', days: 365 },
        { functions: 'a', rules: 'b', reason: 'nobody', days: 1 },
      ])
        assert.equal((await api('POST', '/api/suppressions', bad)).status, 400, JSON.stringify(bad));
      assert.equal(
        (await postBatch(serve.url, [...findings, ...health, ...drift], { token: TOKEN })).status,
        200,
      );
      await new Promise((r) => setTimeout(r, 500));
      const routed = hooks.got
        .filter((g) => g.body.incident.functionName === 'doc-convert')
        .map((g) => g.body.incident.title);
      assert.ok(
        routed.some((t) => /Command injection/.test(t)),
        JSON.stringify(routed),
      );
      assert.ok(!routed.some((t) => /environment/.test(t)), JSON.stringify(routed));

      // Every incident, from real findings, is a valid OCSF Incident Finding.
      for (const i of (await api('GET', '/api/incidents')).body.incidents)
        assert.deepEqual(
          validateIncidentFinding((await api('GET', `/api/incidents/${i.id}/ocsf`)).body),
          [],
          i.id,
        );

      // The functions, and doc-convert's page: no policy kept yet.
      await page.goto(`${serve.url}/functions`);
      const docRow = page.locator('tr[data-function$=":doc-convert"]');
      assert.equal(
        (await docRow.locator('td').nth(1).textContent()).trim(),
        String(findings.length + drift.length),
      );
      await page.click('a:has-text("doc-convert")');
      assert.match(await page.textContent('main'), /no policy of this function/);
      // Its deviations from the learned baseline, per day.
      const driftChart = page.locator('figure[aria-label="deviations per day"]');
      assert.ok(
        JSON.parse(await driftChart.getAttribute('data-chart')).series.some((x) =>
          x.values.some((v) => v > 0),
        ),
      );
      await page.waitForSelector('figure[aria-label="deviations per day"][data-drawn] canvas');
      // A policy with a mistake is refused, naming its line and field; the real one is kept as version 1.
      const policyText = readFileSync(DEMO_POLICY, 'utf8');
      await page.fill('textarea[name=text]', `${policyText}\nnetwork:\n  allow:\n    - port: seventy\n`);
      await page.fill('input[name=author]', 'lee');
      await page.click('button:has-text("Save")');
      assert.match(
        await page.textContent('[role=alert]'),
        /doc-convert-policy\.yaml:\d+.*network\.allow\[0\]\.port/,
      );
      await page.fill('textarea[name=text]', policyText);
      await page.fill('input[name=author]', 'lee');
      await page.click('button:has-text("Save")');
      assert.match(await page.textContent('[role=status]'), /version 1/);
      assert.match(await page.textContent('pre.policy'), /mode: enforce/);
      await page.screenshot({ path: join(shots, 'function.png'), fullPage: true });

      // Promote the command injection incident: the diff is the CLI's, word for word.
      const incidents = (await api('GET', '/api/incidents')).body.incidents;
      const injection = incidents.find((i) => /Command injection/.test(i.title));
      await page.click(`a[href$="promote?incident=${injection.id}"]`);
      const shown = await page.textContent('pre.diff');
      const jsonl = join(dir, `${injection.id}.jsonl`);
      const own = (await api('GET', `/api/incidents/${injection.id}`)).body.findings;
      writeFileSync(jsonl, own.map((f) => `${JSON.stringify(f)}\n`).join(''));
      const current = join(dir, 'doc-convert-policy-v1.yaml');
      writeFileSync(current, policyText);
      const learned = await run(NODE, [
        CLI,
        'learn',
        '--from',
        jsonl,
        '--merge',
        current,
        '--out',
        join(dir, 'new.yaml'),
      ]);
      assert.equal(learned.code, 0, learned.stderr);
      const diff = await run(NODE, [CLI, 'policy', 'diff', current, join(dir, 'new.yaml')]);
      assert.equal(diff.code, 1, diff.stderr);
      assert.equal(shown.trimEnd(), diff.stdout.trimEnd());
      assert.match(shown, /process\.allow.*\/bin\/sh.*\(widens\)/);
      assert.match(await page.textContent('main'), /widens what the function may do/);
      await page.screenshot({ path: join(shots, 'promote.png'), fullPage: true });
      await page.fill('input[name=author]', 'lee');
      await page.click('button:has-text("Save the merged policy")');
      assert.match(await page.textContent('[role=status]'), /version 2/);
      const v2 = (await api('GET', `/api/functions/${encodeURIComponent(injection.functionArn)}/policy`))
        .body;
      assert.equal(v2.version, 2);
      assert.equal(v2.text, readFileSync(join(dir, 'new.yaml'), 'utf8').replace(/\r\n/g, '\n'));

      // The muted incident: marked in the list, hidden on request; "Mute similar" prefills the form.
      await page.goto(`${serve.url}/incidents`);
      const traversal = page.locator('tr[data-incident]', { hasText: 'path' });
      assert.match(await traversal.textContent(), /Muted by lee/);
      await page.goto(`${serve.url}/incidents?function=doc-convert&muted=hide`);
      assert.equal(await page.locator('tr[data-incident]', { hasText: 'environment' }).count(), 0);
      assert.equal(await page.locator('tr[data-incident]', { hasText: 'Command injection' }).count(), 1);
      assert.match(await page.textContent('main'), /1 muted incident\(s\) hidden/);
      await page.goto(`${serve.url}/incidents/${injection.id}`);
      await page.click('a:has-text("Mute similar")');
      assert.equal(await page.inputValue('input[name=functions]'), 'doc-convert');
      assert.match(await page.inputValue('input[name=rules]'), /warden\.detect\.command-injection/);
      // Nobody to answer for it (blank): refused by the server, the form kept.
      await page.fill('input[name=owner]', '   ');
      await page.fill('input[name=reason]', 'known test traffic from the red team');
      await page.click('button:has-text("Mute")');
      assert.match(await page.textContent('[role=alert]'), /owner/);
      assert.equal(await page.inputValue('input[name=functions]'), 'doc-convert');
      await page.fill('input[name=owner]', 'sam');
      await page.fill('input[name=reason]', 'known test traffic from the red team');
      await page.click('button:has-text("Mute")');
      assert.match(await page.textContent('[role=status]'), /added/);
      assert.equal(await page.locator('tr[data-suppression]').count(), 2);
      await page.screenshot({ path: join(shots, 'suppressions.png'), fullPage: true });
      // Ended now: no longer muting.
      await page
        .locator('tr[data-suppression]', { hasText: 'sam' })
        .locator('button:has-text("End now")')
        .click();
      assert.match(await page.textContent('main'), /Ended[\s\S]*sam/);
      await page.goto(`${serve.url}/incidents/${injection.id}`);
      assert.doesNotMatch(await page.textContent('main'), /Muted by/);

      // The ATT&CK matrix: what the demo did, seen; what Warden covers and did not see, grey.
      await page.goto(`${serve.url}/attack`);
      const shell = page.locator('.tactic[data-tactic=TA0002] .cell.seen[data-technique="T1059.004"]');
      assert.match(await shell.textContent(), /Unix Shell[\s\S]*\d+ finding/);
      assert.ok((await page.locator('.cell:not(.seen)[data-technique="T1571"]').count()) === 1);
      assert.ok((await page.locator('.tactic').count()) >= 12);
      await page.screenshot({ path: join(shots, 'attack.png'), fullPage: true });
      await shell.click();
      assert.match(page.url(), /technique=T1059\.004/);
      assert.ok((await page.locator('tr[data-incident]').count()) >= 1);
      for (const row of await page.locator('tr[data-incident]').all()) {
        const id = await row.getAttribute('data-incident');
        const { incident } = (await api('GET', `/api/incidents/${id}`)).body;
        assert.ok(incident.techniques.includes('T1059.004'), id);
      }

      // Fleet health: the function whose extension was killed, and the one whose sensor was silent.
      await page.goto(`${serve.url}/health`);
      assert.match(await page.textContent('main'), /reported trouble/);
      const trouble = page.locator('tr.trouble');
      assert.ok((await trouble.count()) >= 1);
      const lost = await page.locator('tr.trouble td[data-kind=extensionLost].bad').count();
      const silentRows = await page.locator('tr.trouble td[data-kind=sensorSilent].bad').count();
      assert.ok(lost >= 1 && silentRows >= 1, await page.locator('table').innerHTML());
      assert.equal(await page.locator('tr.healthy', { hasText: 'doc-convert' }).count(), 1);
      await page.screenshot({ path: join(shots, 'health.png'), fullPage: true });

      // Routes: shown without their secret; a test send reaches the receiver, signed.
      await page.goto(`${serve.url}/routes`);
      assert.doesNotMatch(await page.content(), /s3cret|\/hook/);
      const before = hooks.got.length;
      await page.click('button:has-text("Send a test")');
      assert.match(await page.textContent('[role=status]'), /team-hook: HTTP 200 — delivered/);
      assert.equal(hooks.got.length, before + 1);
      assert.match(hooks.got.at(-1).headers['x-warden-signature'], /^sha256=[0-9a-f]{64}$/);
      await page.screenshot({ path: join(shots, 'routes.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await serve.stop();
      await hooks.close();
      cleanup();
    }
  });
}
