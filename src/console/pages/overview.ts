/**
 * The overview, where signing in lands: incidents by state, findings per day by severity over
 * the last 14 days, the top functions, rules and packages (each a link to its incidents).
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { IncidentState } from '../store';
import { dayBars, lastDays, layout, type PageDeps, SEVERITY, SEVERITY_COLORS, STATE_LABEL } from './layout';

export function registerOverviewPage(app: Hono, d: PageDeps): void {
  app.get('/', async (c) => {
    const days = lastDays(14, d.now());
    const o = await d.store.overview(days[0] as number);
    const perDay = (day: number, sev: number) =>
      o.byDay
        .filter((r) => r.day === day && Math.min(r.severityId, 5) === sev)
        .reduce((n, r) => n + r.findings, 0);
    const top = (title: string, rows: { name: string; findings: number }[], link: (n: string) => string) =>
      html`<section class="top"><h2>${title}</h2><table><tbody>${rows.map(
        (r) => html`<tr><td><a href="${link(r.name)}">${r.name}</a></td><td>${r.findings}</td></tr>`,
      )}</tbody></table>${rows.length === 0 ? html`<p class="muted">None.</p>` : ''}</section>`;
    return c.html(
      layout(
        'Overview',
        html`<h1>Overview</h1>
<p>${o.incidentsByState.map((s) => html`<a class="tag" href="/incidents?state=${s.state}">${STATE_LABEL[s.state as IncidentState] ?? s.state}: ${s.incidents}</a>`)}</p>
<h2>Findings per day, by severity (last 14 days)</h2>
${dayBars(
  days,
  [1, 2, 3, 4, 5].map((sev) => ({
    label: SEVERITY[sev] as string,
    color: SEVERITY_COLORS[sev] as string,
    value: (day: number) => perDay(day, sev),
  })),
  { label: 'findings per day by severity' },
)}
<div style="display:grid;grid-template-columns:repeat(3,1fr);gap:16px">
${top('Top functions', o.topFunctions, (n) => `/incidents?function=${encodeURIComponent(n)}`)}
${top('Top rules', o.topRules, (n) => `/incidents?rule=${encodeURIComponent(n)}`)}
${top('Top packages', o.topPackages, (n) => `/incidents?package=${encodeURIComponent(n)}`)}
</div>`,
        '/',
      ),
    );
  });
}
