/**
 * Fleet health: per function, what Warden said about itself over a period — its extension lost,
 * its sensor silent, findings dropped, its own faults — and when the function last reported.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { fleetHealth, HEALTH_KINDS, HEALTH_RULES, type HealthKind } from '../fleet-health';
import { DAY_MS, functionHref, layout, type PageDeps, when } from './layout';

export function registerHealthPage(app: Hono, d: PageDeps): void {
  app.get('/health', async (c) => {
    const since = d.now() - 7 * DAY_MS;
    const rows = fleetHealth(
      await d.store.functions(since),
      await d.store.healthFindings(since, HEALTH_RULES),
    );
    const kinds = Object.keys(HEALTH_KINDS) as HealthKind[];
    const troubled = rows.filter((r) => !r.healthy).length;
    return c.html(
      layout(
        'Fleet health',
        html`<h1>Fleet health</h1>
<p>${troubled === 0 ? html`<span class="ok">No function reported trouble with Warden in the last 7 days.</span>` : html`<span class="bad">${troubled} of ${rows.length} function(s) reported trouble with Warden in the last 7 days.</span>`}</p>
<table><thead><tr><th>Function</th>${kinds.map((k) => html`<th>${HEALTH_KINDS[k].label}</th>`)}<th>Last finding</th></tr></thead><tbody>
${rows.map(
  (
    r,
  ) => html`<tr data-function="${r.arn}" class="${r.healthy ? 'healthy' : 'trouble'}"><td><a href="${functionHref(r.arn)}">${r.name}</a></td>
${kinds.map((k) => html`<td data-kind="${k}" class="${r.counts[k] > 0 ? 'bad' : ''}">${r.counts[k]}${r.last[k] ? html`<br><span class="muted">${when(r.last[k])}</span>` : ''}</td>`)}
<td>${when(r.lastSeen)}</td></tr>`,
)}</tbody></table>
<p class="muted">Extension lost: the sensor lost, could not reach or stopped hearing from the extension (${HEALTH_KINDS.extensionLost.rules.join(', ')}). Sensor silent: the extension saw an invocation the sensor never reported. Findings dropped: findings the extension could not deliver or the sensor could not send to it (each is still in the function's log). Sensor faults: Warden's own errors, counted and reported.</p>`,
        '/health',
      ),
    );
  });
}
