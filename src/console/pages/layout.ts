/**
 * What every console page shares: the frame (header, navigation, style), how a severity, a
 * state and a time are shown, and reading the OCSF objects pages display. hono/html escapes
 * every value put in a page.
 */
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { RoutesConfig } from '../routes';
import { CLOSE_REASONS, INCIDENT_STATES, type Incident, type IncidentState, type Store } from '../store';

export type Page = HtmlEscapedString | Promise<HtmlEscapedString>;
export type Json = Record<string, unknown>;
export const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

export const DAY_MS = 86_400_000;
export const SEVERITY = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'];
export const SEVERITY_COLORS = ['#718096', '#a0aec0', '#4299e1', '#d69e2e', '#dd6b20', '#c53030', '#c53030'];
export const STATE_LABEL: Record<IncidentState, string> = {
  new: 'New',
  in_progress: 'In progress',
  resolved: 'Resolved',
  closed: 'Closed',
};
export const REASON_LABEL: Record<string, string> = {
  true_positive: 'True positive',
  false_positive: 'False positive',
  test: 'Test',
  expected_behaviour: 'Expected behaviour',
};

export const when = (ms: number): string =>
  ms > 0
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '—';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1c2330;background:#f6f7f9}
header{background:#1c2330;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:baseline;flex-wrap:wrap}
header a{color:#cfe0ff;text-decoration:none}header a[aria-current]{color:#fff;text-decoration:underline}header strong{font-size:16px}
main{padding:16px 20px;max-width:1280px}figure.chart{margin:0;background:#fff;border:1px solid #e3e6ea;display:inline-block;padding:4px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:6px 8px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{font-weight:600;color:#4a5568;font-size:12px;text-transform:uppercase}
.sev{display:inline-block;padding:1px 6px;border-radius:3px;font-size:12px;color:#fff;background:#718096}
.sev-4{background:#dd6b20}.sev-5,.sev-6{background:#c53030}.sev-3{background:#d69e2e}
.state{font-size:12px;padding:1px 6px;border-radius:3px;background:#e2e8f0}
.muted-tag{font-size:12px;padding:1px 6px;border-radius:3px;background:#faf089}
form.inline{display:inline}fieldset{border:1px solid #e3e6ea;background:#fff;margin:0 0 12px;padding:8px 12px}
code,pre,textarea{font:12px ui-monospace,monospace}pre{background:#fff;border:1px solid #e3e6ea;padding:8px;overflow:auto;max-height:420px}
.muted{color:#718096}.tag{display:inline-block;margin:0 4px 2px 0;padding:0 5px;border:1px solid #cbd5e0;border-radius:3px;font-size:12px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;padding:10px 12px;border:1px solid #e3e6ea}dt{color:#4a5568}
.ok{color:#276749}.bad{color:#c53030;font-weight:600}.error{background:#fff5f5;border:1px solid #feb2b2;padding:8px 12px}
.diff .widens{color:#c53030}.diff .narrows{color:#276749}
.matrix{display:grid;grid-template-columns:repeat(14,minmax(80px,1fr));gap:4px;overflow-x:auto}
.matrix h3{font-size:12px;margin:0;padding:4px;background:#1c2330;color:#fff;min-height:32px}
.cell{display:block;font-size:11px;padding:4px;margin-top:4px;border:1px solid #e3e6ea;background:#fff;color:#a0aec0;text-decoration:none}
.cell.seen{background:#fed7d7;border-color:#c53030;color:#1c2330}.cell b{display:block}
`;

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/incidents', 'Incidents'],
  ['/functions', 'Functions'],
  ['/attack', 'ATT&CK'],
  ['/health', 'Fleet health'],
  ['/suppressions', 'Suppressions'],
  ['/routes', 'Routes'],
];

export function layout(title: string, body: Page, current = ''): Page {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Warden</title>
<style>${STYLE}</style><link rel="stylesheet" href="/assets/uplot.css"><script src="/assets/charts.js" defer></script></head>
<body><header><strong>Warden</strong>${NAV.map(
    ([href, label]) =>
      html`<a href="${href}" ${href === current ? html`aria-current="page"` : ''}>${label}</a>`,
  )}</header>
<main>${body}</main></body></html>`;
}

export const severity = (id: number) => html`<span class="sev sev-${id}">${SEVERITY[id] ?? 'Unknown'}</span>`;
export const stateTag = (i: Incident) =>
  html`<span class="state">${STATE_LABEL[i.state]}${i.reason ? html` · ${REASON_LABEL[i.reason] ?? i.reason}` : ''}</span>`;

export function stateOptions(selected?: string) {
  return INCIDENT_STATES.map(
    (s) => html`<option value="${s}" ${s === selected ? 'selected' : ''}>${STATE_LABEL[s]}</option>`,
  );
}
export const reasonOptions = () =>
  CLOSE_REASONS.map((r) => html`<option value="${r}">${REASON_LABEL[r]}</option>`);

/** A function's page (functions are named by ARN: names repeat across accounts and regions). */
export const functionHref = (arn: string): string => `/functions/${encodeURIComponent(arn)}`;

/**
 * Stacked bars per day: `series` (bottom first) with a colour and a value per day; each bar
 * has a title a browser shows on hover. Server-rendered SVG: no script.
 */
export function dayBars(
  days: readonly number[],
  series: readonly { label: string; color: string; value(day: number): number }[],
  o: { width?: number; height?: number; label: string },
) {
  const W = o.width ?? 700;
  const H = o.height ?? 160;
  const totals = days.map((d) => series.reduce((n, s) => n + s.value(d), 0));
  const max = Math.max(1, ...totals);
  const bw = W / Math.max(days.length, 1);
  const bars = days.flatMap((day, i) => {
    let y = H;
    return series.map((s) => {
      const v = s.value(day);
      const h = (v / max) * (H - 10);
      y -= h;
      return html`<rect x="${(i * bw + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(bw - 4, 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${new Date(day).toISOString().slice(0, 10)}: ${v} ${s.label}</title></rect>`;
    });
  });
  const every = Math.ceil(days.length / 14);
  const labels = days.map((day, i) =>
    i % every === 0
      ? html`<text x="${(i * bw + bw / 2).toFixed(1)}" y="${H + 14}" font-size="10" text-anchor="middle" fill="#4a5568">${new Date(day).toISOString().slice(5, 10)}</text>`
      : '',
  );
  const spec = JSON.stringify({
    days,
    height: H,
    series: series.map((s) => ({ label: s.label, color: s.color, values: days.map((d) => s.value(d)) })),
  });
  return html`<figure class="chart" data-chart="${spec}" aria-label="${o.label}"><svg role="img" aria-label="${o.label}" width="${W}" height="${H + 20}" viewBox="0 0 ${W} ${H + 20}" style="background:#fff;border:1px solid #e3e6ea">${bars}${labels}</svg>
<p class="muted fallback-legend">${series.map((s) => html`<span class="tag" style="border-color:${s.color}">${s.label}</span>`)}</p></figure>`;
}

/** The UTC days from `count - 1` days ago to today (each day's start). */
export function lastDays(count: number, now = Date.now()): number[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return Array.from({ length: count }, (_, i) => today - (count - 1 - i) * DAY_MS);
}

/**
 * Whether a form post comes from this site's own pages: another site's page may post a form
 * here (a console on loopback has no token to check), so its Origin must be this host (compared
 * without the scheme: TLS may end at a proxy).
 */
export function sameSite(c: Context): boolean {
  if (c.req.header('sec-fetch-site') === 'cross-site') return false;
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  if (origin === 'null' || !URL.canParse(origin)) return false;
  return new URL(origin).host === new URL(c.req.url).host;
}

/** What the pages read and act through. */
export interface PageDeps {
  store: Store;
  routes?: RoutesConfig;
  now(): number;
}
