/**
 * Functions: the list (findings, incidents, when last heard from), and a function's page — its
 * policy as the console keeps it (every save a version), its deviations from its learned
 * behaviour per day, its incidents, and "promote to policy": an incident's findings merged into
 * the policy, shown as the diff `warden policy diff` prints, to save as the next version.
 */
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { checkPolicyText, policyFileName, promotionFor } from '../promotion';
import {
  DAY_MS,
  dayBars,
  functionHref,
  lastDays,
  layout,
  type PageDeps,
  severity,
  stateTag,
  when,
} from './layout';

const COLORS = ['#805ad5', '#3182ce', '#38a169', '#d69e2e', '#dd6b20', '#c53030', '#718096', '#2c7a7b'];

export function registerFunctionPages(app: Hono, d: PageDeps): void {
  app.get('/functions', async (c) => {
    const since = d.now() - 30 * DAY_MS;
    const functions = await d.store.functions(since);
    return c.html(
      layout(
        'Functions',
        html`<h1>Functions</h1><p class="muted">Functions with an incident seen in the last 30 days (findings: those of these incidents).</p>
<table><thead><tr><th>Function</th><th>Findings</th><th>Incidents</th><th>Open</th><th>Last finding</th></tr></thead><tbody>
${functions.map(
  (
    f,
  ) => html`<tr data-function="${f.arn}"><td><a href="${functionHref(f.arn)}">${f.name}</a><br><span class="muted">${f.arn}</span></td>
<td>${f.findings}</td><td>${f.incidents}</td><td>${f.open}</td><td>${when(f.lastSeen)}</td></tr>`,
)}</tbody></table>${functions.length === 0 ? html`<p class="muted">None yet.</p>` : ''}`,
        '/functions',
      ),
    );
  });

  const functionPage = async (c: Context, arn: string, notice?: { error?: string; saved?: string }) => {
    const now = d.now();
    const days = lastDays(30, now);
    const summary = (await d.store.functions(days[0] as number)).find((f) => f.arn === arn);
    const incidents = await d.store.incidents({ function: arn, limit: 50 });
    const name = summary?.name ?? incidents[0]?.functionName ?? arn.split(':').pop() ?? arn;
    const policy = await d.store.policy(arn);
    const deviations = await d.store.findingsPerDay(arn, days[0] as number, 'warden.deviation.');
    const rules = [...new Set(deviations.map((x) => x.ruleId))].sort();
    return c.html(
      layout(
        name,
        html`<p><a href="/functions">← Functions</a></p>
<h1>${name}</h1>
<p class="muted">${arn}</p>
${notice?.error ? html`<p class="error" role="alert">${notice.error}</p>` : ''}
${notice?.saved ? html`<p role="status" class="ok">Policy saved as version ${notice.saved}.</p>` : ''}
<dl><dt>Findings (30 days)</dt><dd>${summary?.findings ?? 0}</dd><dt>Incidents</dt><dd>${incidents.length}${incidents.length === 50 ? '+' : ''}</dd>
<dt>Last finding</dt><dd>${when(summary?.lastSeen ?? 0)}</dd></dl>
<h2>Deviations from learned behaviour (last 30 days)</h2>
${
  rules.length === 0
    ? html`<p class="muted">No deviation findings (warden.deviation.*) in the last 30 days.</p>`
    : dayBars(
        days,
        rules.map((rule, i) => ({
          label: rule.replace('warden.deviation.', ''),
          color: COLORS[i % COLORS.length] as string,
          value: (day: number) =>
            deviations.filter((x) => x.day === day && x.ruleId === rule).reduce((n, x) => n + x.findings, 0),
        })),
        { label: 'deviations per day', height: 120 },
      )
}
<h2>Policy</h2>
${
  policy
    ? html`<p>Version ${policy.version}, saved by ${policy.author} at ${when(policy.created)} · <a href="${functionHref(arn)}/policy.yaml">download</a></p>
<pre class="policy">${policy.text}</pre>`
    : html`<p class="muted">The console has no policy of this function. Save its current one (warden-policy.yaml) here or with <code>PUT /api/functions/&lt;arn&gt;/policy</code>, to promote incidents into it.</p>`
}
<details ${policy ? '' : 'open'}><summary>Save a new version</summary>
<form method="post" action="${functionHref(arn)}/policy"><fieldset>
<label>Policy (YAML or JSON)<br><textarea name="text" rows="14" cols="100" required></textarea></label><br>
<label>Saved by <input name="author" required size="20"></label>
<button type="submit">Save</button></fieldset></form></details>
<h2>Incidents</h2>
<table><thead><tr><th>Severity</th><th>Incident</th><th>Findings</th><th>Last seen</th><th>State</th><th></th></tr></thead><tbody>
${incidents.map(
  (
    i,
  ) => html`<tr><td>${severity(i.severityId)}</td><td><a href="/incidents/${i.id}">${i.title}</a><br><span class="muted">${i.rules.join(', ')}</span></td>
<td>${i.findings}</td><td>${when(i.lastSeen)}</td><td>${stateTag(i)}</td>
<td><a href="${functionHref(arn)}/promote?incident=${i.id}">Promote to policy</a></td></tr>`,
)}</tbody></table>`,
        '/functions',
      ),
    );
  };

  app.get('/functions/:arn', (c) =>
    functionPage(
      c,
      c.req.param('arn'),
      c.req.query('saved') ? { saved: c.req.query('saved') as string } : {},
    ),
  );

  app.get('/functions/:arn/policy.yaml', async (c) => {
    const policy = await d.store.policy(c.req.param('arn'));
    if (!policy) return c.text('no policy kept for this function', 404);
    c.header('content-disposition', 'attachment; filename="warden-policy.yaml"');
    return c.body(policy.text, 200, { 'content-type': 'text/yaml; charset=utf-8' });
  });

  app.post('/functions/:arn/policy', async (c) => {
    const arn = c.req.param('arn');
    const form = await c.req.parseBody();
    const text = String(form.text ?? '').replace(/\r\n/g, '\n');
    const author = String(form.author ?? '').trim();
    if (!author || author.length > 200)
      return functionPage(c, arn, { error: 'Saved by: who saves it (up to 200 characters)' });
    const checked = checkPolicyText(`${arn.split(':').pop() ?? 'function'}-policy.yaml`, text);
    if (!checked.ok) return functionPage(c, arn, { error: `Not saved: ${checked.error}` });
    const saved = await d.store.savePolicy(arn, text, author, d.now());
    return c.redirect(`${functionHref(arn)}?saved=${saved.version}`, 303);
  });

  app.get('/functions/:arn/promote', async (c) => {
    const arn = c.req.param('arn');
    const view = await promotionFor(d.store, arn, c.req.query('incident') ?? '');
    if (!view.ok)
      return c.html(
        layout(
          'Promote to policy',
          html`<p><a href="${functionHref(arn)}">← the function</a></p><h1>Promote to policy</h1><p class="error" role="alert">${view.error}</p>`,
          '/functions',
        ),
        view.status,
      );
    const { incident, policy, promotion } = view;
    const lines = promotion.diff.trimEnd().split('\n');
    return c.html(
      layout(
        'Promote to policy',
        html`<p><a href="${functionHref(arn)}">← ${incident.functionName}</a></p>
<h1>Promote to policy</h1>
<p>The ${promotion.observations} observation(s) of incident <a href="/incidents/${incident.id}">${incident.title}</a> merged into version ${policy.version} of the policy (as <code>warden learn --from ${incident.id}.jsonl --merge ${policyFileName(incident.functionName, policy.version)}</code> would), and what that changes (as <code>warden policy diff</code> prints it):</p>
<pre class="diff">${lines.map((l) => html`<span class="${/\(widens\)$/.test(l) ? 'widens' : /\(narrows\)$/.test(l) ? 'narrows' : ''}">${l}</span>\n`)}</pre>
${promotion.changes.some((x) => x.effect === 'widens') ? html`<p class="bad">This widens what the function may do: promote only what the function is meant to do, never an attack.</p>` : ''}
<details><summary>The merged policy</summary><pre class="policy">${promotion.yaml}</pre></details>
${
  promotion.changes.length === 0
    ? html`<p class="muted">Nothing to save: the policy already allows all of it.</p>`
    : html`<form method="post" action="${functionHref(arn)}/policy"><fieldset><legend>Save as version ${policy.version + 1}</legend>
<input type="hidden" name="text" value="${promotion.yaml}">
<label>Saved by <input name="author" required size="20"></label>
<button type="submit">Save the merged policy</button></fieldset></form>`
}`,
        '/functions',
      ),
    );
  });
}
