/**
 * Suppressions: every mute (active first), who owns it, why, until when, how many of the
 * recent incidents it covers; a form to add one (prefilled from an incident's "Mute similar")
 * and a button to end one now.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { covers, MAX_DAYS, readSuppression } from '../suppression';
import { DAY_MS, layout, type PageDeps, when } from './layout';

export function registerSuppressionPages(app: Hono, d: PageDeps): void {
  const page = async (q: Record<string, string>, error?: string) => {
    const now = d.now();
    const suppressions = await d.store.suppressions();
    const recent = await d.store.incidents({ since: now - 30 * DAY_MS, limit: 1000 });
    const active = suppressions.filter((s) => s.expires > now);
    const ended = suppressions.filter((s) => s.expires <= now);
    const row = (s: (typeof suppressions)[number], isActive: boolean) =>
      html`<tr data-suppression="${s.id}"><td><code>${s.functions}</code></td><td><code>${s.rules}</code></td><td>${s.package ?? html`<span class="muted">any</span>`}</td>
<td>${s.owner}</td><td>${s.reason}</td><td>${when(s.created)}</td><td>${when(s.expires)}</td>
<td>${recent.filter((i) => covers(s, i)).length}</td>
<td>${isActive ? html`<form method="post" action="/suppressions/${s.id}/end" class="inline"><button type="submit">End now</button></form>` : html`<span class="muted">ended</span>`}</td></tr>`;
    const head = html`<thead><tr><th>Functions</th><th>Rules</th><th>Package</th><th>Owner</th><th>Reason</th><th>Created</th><th>Expires</th><th>Incidents (30 days)</th><th></th></tr></thead>`;
    return layout(
      'Suppressions',
      html`<h1>Suppressions</h1>
<p class="muted">A muted incident is stored and shown (marked), and never routed. Each mute has an owner, a reason and an end (at most ${MAX_DAYS} days ahead).</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${q.added ? html`<p role="status" class="ok">Suppression ${q.added} added.</p>` : ''}
<form method="post" action="/suppressions"><fieldset><legend>Mute</legend>
<label>Functions <input name="functions" value="${q.functions ?? ''}" required size="22" placeholder="orders-* or a name or ARN"></label>
<label>Rules <input name="rules" value="${q.rules ?? ''}" required size="30" placeholder="warden.files.read or a glob"></label>
<label>Package <input name="package" value="${q.package ?? ''}" size="14" placeholder="any"></label><br>
<label>Owner <input name="owner" value="${q.owner ?? ''}" required size="18"></label>
<label>Reason <input name="reason" value="${q.reason ?? ''}" required size="50"></label>
<label>For <input name="days" type="number" min="1" max="${MAX_DAYS}" value="${q.days ?? '14'}" size="4"> days</label>
<button type="submit">Mute</button></fieldset></form>
<h2>Active</h2><table>${head}<tbody>${active.map((s) => row(s, true))}</tbody></table>${active.length === 0 ? html`<p class="muted">None.</p>` : ''}
<h2>Ended</h2><table>${head}<tbody>${ended.map((s) => row(s, false))}</tbody></table>${ended.length === 0 ? html`<p class="muted">None.</p>` : ''}`,
      '/suppressions',
    );
  };

  app.get('/suppressions', async (c) => c.html(await page(c.req.query())));

  app.post('/suppressions', async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const read = readSuppression(form, d.now());
    if (!read.ok)
      return c.html(
        await page(
          Object.fromEntries(Object.entries(form).map(([k, v]) => [k, String(v)])),
          `${read.field}: ${read.error}`,
        ),
      );
    await d.store.addSuppression(read.suppression);
    return c.redirect(`/suppressions?added=${read.suppression.id}`, 303);
  });

  app.post('/suppressions/:id/end', async (c) => {
    await d.store.endSuppression(c.req.param('id'), d.now());
    return c.redirect('/suppressions', 303);
  });
}
