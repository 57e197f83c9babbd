/**
 * The console's pages: server-rendered HTML (hono/html escapes every value), plain forms for
 * filters and triage, no script to build or load. The incident list (filters, bulk triage) and
 * an incident (its timeline, the input that carried the attack, the packages, the MITRE
 * techniques, triage, the raw OCSF).
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { CLOSE_REASONS, INCIDENT_STATES, type Incident, type IncidentState, type Store } from './store';

type Page = HtmlEscapedString | Promise<HtmlEscapedString>;

const SEVERITY = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'];
const STATE_LABEL: Record<IncidentState, string> = {
  new: 'New',
  in_progress: 'In progress',
  resolved: 'Resolved',
  closed: 'Closed',
};
const REASON_LABEL: Record<string, string> = {
  true_positive: 'True positive',
  false_positive: 'False positive',
  test: 'Test',
  expected_behaviour: 'Expected behaviour',
};

const when = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1c2330;background:#f6f7f9}
header{background:#1c2330;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:baseline}
header a{color:#cfe0ff;text-decoration:none}header strong{font-size:16px}
main{padding:16px 20px;max-width:1200px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:6px 8px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{font-weight:600;color:#4a5568;font-size:12px;text-transform:uppercase}
.sev{display:inline-block;padding:1px 6px;border-radius:3px;font-size:12px;color:#fff;background:#718096}
.sev-4{background:#dd6b20}.sev-5,.sev-6{background:#c53030}.sev-3{background:#d69e2e}
.state{font-size:12px;padding:1px 6px;border-radius:3px;background:#e2e8f0}
form.inline{display:inline}fieldset{border:1px solid #e3e6ea;background:#fff;margin:0 0 12px;padding:8px 12px}
code,pre{font:12px ui-monospace,monospace}pre{background:#fff;border:1px solid #e3e6ea;padding:8px;overflow:auto;max-height:420px}
.muted{color:#718096}.tag{display:inline-block;margin:0 4px 2px 0;padding:0 5px;border:1px solid #cbd5e0;border-radius:3px;font-size:12px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;padding:10px 12px;border:1px solid #e3e6ea}dt{color:#4a5568}
`;

function layout(title: string, body: Page): Page {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Warden</title>
<style>${STYLE}</style></head>
<body><header><strong>Warden</strong><a href="/">Overview</a><a href="/incidents">Incidents</a></header>
<main>${body}</main></body></html>`;
}

const severity = (id: number) => html`<span class="sev sev-${id}">${SEVERITY[id] ?? 'Unknown'}</span>`;
const state = (i: Incident) =>
  html`<span class="state">${STATE_LABEL[i.state]}${i.reason ? html` · ${REASON_LABEL[i.reason] ?? i.reason}` : ''}</span>`;

function stateOptions(selected?: string) {
  return INCIDENT_STATES.map(
    (s) => html`<option value="${s}" ${s === selected ? 'selected' : ''}>${STATE_LABEL[s]}</option>`,
  );
}
const reasonOptions = () => CLOSE_REASONS.map((r) => html`<option value="${r}">${REASON_LABEL[r]}</option>`);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

/** What a finding is about, in a line: the command, the file, the destination. */
function evidenceOf(f: Json): string {
  const e = obj((f.evidences as unknown[] | undefined)?.[0]);
  const proc = obj(e.process);
  const file = obj(e.file);
  const dst = obj(e.dst_endpoint);
  const data = obj(e.data);
  if (typeof proc.cmd_line === 'string') return proc.cmd_line;
  if (typeof file.path === 'string')
    return typeof data.requested === 'string' && data.requested !== file.path
      ? `${data.requested} → ${file.path}`
      : file.path;
  if (dst.ip !== undefined || dst.hostname !== undefined)
    return `${dst.hostname ?? dst.ip}:${String(dst.port ?? '')}`;
  return typeof data.api === 'string' ? data.api : '';
}

export function registerPages(app: Hono, store: Store): void {
  // The overview: findings per day by severity (the last 14 days), the top functions, rules and
  // packages, incidents by state.
  app.get('/', async (c) => {
    const DAY = 86_400_000;
    const today = Math.floor(Date.now() / DAY) * DAY;
    const since = today - 13 * DAY;
    const o = await store.overview(since);
    const days = Array.from({ length: 14 }, (_, i) => since + i * DAY);
    const perDay = (day: number, sev: number) =>
      o.byDay
        .filter((r) => r.day === day && Math.min(r.severityId, 5) === sev)
        .reduce((n, r) => n + r.findings, 0);
    const totals = days.map((d) => [1, 2, 3, 4, 5].reduce((n, sev) => n + perDay(d, sev), 0));
    const max = Math.max(1, ...totals);
    const COLORS = ['', '#a0aec0', '#4299e1', '#d69e2e', '#dd6b20', '#c53030'];
    const W = 700;
    const H = 160;
    const bw = W / days.length;
    const bars = days.flatMap((day, i) => {
      let y = H;
      return [1, 2, 3, 4, 5].map((sev) => {
        const h = (perDay(day, sev) / max) * (H - 10);
        y -= h;
        return html`<rect x="${(i * bw + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[sev]}"><title>${new Date(day).toISOString().slice(0, 10)}: ${perDay(day, sev)} ${SEVERITY[sev]}</title></rect>`;
      });
    });
    const labels = days.map(
      (day, i) =>
        html`<text x="${(i * bw + bw / 2).toFixed(1)}" y="${H + 14}" font-size="10" text-anchor="middle" fill="#4a5568">${new Date(day).toISOString().slice(5, 10)}</text>`,
    );
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
<svg role="img" aria-label="findings per day by severity" width="${W}" height="${H + 20}" viewBox="0 0 ${W} ${H + 20}" style="background:#fff;border:1px solid #e3e6ea">${bars}${labels}</svg>
<p class="muted">${[1, 2, 3, 4, 5].map((sev) => html`<span class="tag" style="border-color:${COLORS[sev]}">${SEVERITY[sev]}</span>`)}</p>
<div style="display:grid;grid-template-columns:repeat(3,1fr);gap:16px">
${top('Top functions', o.topFunctions, (n) => `/incidents?function=${encodeURIComponent(n)}`)}
${top('Top rules', o.topRules, (n) => `/incidents?rule=${encodeURIComponent(n)}`)}
${top('Top packages', o.topPackages, (n) => `/incidents?package=${encodeURIComponent(n)}`)}
</div>`,
      ),
    );
  });
  // Browsers ask for it on every page: nothing to show, and no error in their console.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  app.get('/incidents', async (c) => {
    const q = c.req.query();
    const filter = {
      ...(q.state && (INCIDENT_STATES as readonly string[]).includes(q.state)
        ? { state: q.state as IncidentState }
        : {}),
      ...(q.function ? { function: q.function } : {}),
      ...(q.rule ? { rule: q.rule } : {}),
      ...(q.package ? { package: q.package } : {}),
      limit: 500,
    };
    const incidents = await store.incidents(filter);
    const notice = q.updated
      ? html`<p class="muted" role="status">${q.updated} incident(s) updated.</p>`
      : '';
    return c.html(
      layout(
        'Incidents',
        html`<h1>Incidents</h1>${notice}
<form method="get" action="/incidents"><fieldset><legend>Filter</legend>
<label>State <select name="state"><option value="">any</option>${stateOptions(q.state)}</select></label>
<label>Function <input name="function" value="${q.function ?? ''}" size="18"></label>
<label>Rule <input name="rule" value="${q.rule ?? ''}" size="28"></label>
<label>Package <input name="package" value="${q.package ?? ''}" size="16"></label>
<button type="submit">Filter</button></fieldset></form>
<form method="post" action="/incidents/triage">
<fieldset><legend>Triage the selected</legend>
<label>State <select name="state">${stateOptions('in_progress')}</select></label>
<label>Reason (to close) <select name="reason"><option value="">—</option>${reasonOptions()}</select></label>
<label>Assignee <input name="assignee" size="12"></label>
<button type="submit">Apply</button></fieldset>
<table><thead><tr><th></th><th>Severity</th><th>Incident</th><th>Function</th><th>Findings</th><th>Last seen</th><th>State</th></tr></thead>
<tbody>${incidents.map(
          (
            i,
          ) => html`<tr data-incident="${i.id}"><td><input type="checkbox" name="id" value="${i.id}" aria-label="select ${i.id}"></td>
<td>${severity(i.severityId)}</td>
<td><a href="/incidents/${i.id}">${i.title}</a><br><span class="muted">${i.rules.join(', ')}</span></td>
<td>${i.functionName}</td><td>${i.findings} in ${i.invocations} invocation(s)</td><td>${when(i.lastSeen)}</td>
<td>${state(i)}${i.assignee ? html`<br><span class="muted">${i.assignee}</span>` : ''}</td></tr>`,
        )}</tbody></table>
${incidents.length === 0 ? html`<p class="muted">No incident matches.</p>` : ''}
</form>`,
      ),
    );
  });

  app.post('/incidents/triage', async (c) => {
    // Another site's page may post a form here (a console on loopback has no token to check):
    // only this site's own pages may (the host compared, not the scheme: TLS may end at a proxy).
    const origin = c.req.header('origin');
    if (
      origin &&
      origin !== 'null' &&
      URL.canParse(origin) &&
      new URL(origin).host !== new URL(c.req.url).host
    )
      return c.text('cross-site request refused', 403);
    if (origin === 'null') return c.text('cross-site request refused', 403);
    const form = await c.req.parseBody({ all: true });
    const ids = ([] as unknown[]).concat(form.id ?? []).map(String);
    const s = String(form.state ?? '');
    const reason = String(form.reason ?? '');
    const assignee = String(form.assignee ?? '').trim();
    if (!(INCIDENT_STATES as readonly string[]).includes(s)) return c.text('state: not a state', 400);
    if (s === 'closed' && !(CLOSE_REASONS as readonly string[]).includes(reason))
      return c.text(`closing takes a reason: one of ${CLOSE_REASONS.join(', ')}`, 400);
    let updated = 0;
    for (const id of ids) {
      const done = await store.updateIncident(
        id,
        {
          state: s as IncidentState,
          ...(s === 'closed' ? { reason: reason as (typeof CLOSE_REASONS)[number] } : {}),
          ...(assignee ? { assignee } : {}),
        },
        Date.now(),
      );
      if (done) updated++;
    }
    const back = c.req.header('referer');
    const target = new URL(
      back && new URL(back).pathname.startsWith('/incidents') ? back : 'http://x/incidents',
    );
    target.searchParams.set('updated', String(updated));
    return c.redirect(`${target.pathname}${target.search}`, 303);
  });

  app.get('/incidents/:id', async (c) => {
    const incident = await store.incident(c.req.param('id'));
    if (!incident) return c.html(layout('Not found', html`<h1>No such incident</h1>`), 404);
    const findings = (await store.findings({ incident: incident.id, limit: 10_000 })).map(obj);
    const inputs = findings.map((f) => obj(obj(f.unmapped).input)).filter((i) => Object.keys(i).length > 0);
    return c.html(
      layout(
        incident.title,
        html`<p><a href="/incidents">← Incidents</a></p>
<h1>${severity(incident.severityId)} ${incident.title}</h1>
<dl>
<dt>Function</dt><dd>${incident.functionName} <span class="muted">${incident.functionArn}</span></dd>
<dt>State</dt><dd>${state(incident)}${incident.assignee ? html` · ${incident.assignee}` : ''}</dd>
<dt>Seen</dt><dd>${when(incident.firstSeen)} → ${when(incident.lastSeen)}, ${incident.findings} finding(s) in ${incident.invocations} invocation(s)</dd>
<dt>Packages</dt><dd>${incident.packages.map((p) => html`<span class="tag">${p}</span>`)}</dd>
<dt>Rules</dt><dd>${incident.rules.map((r) => html`<span class="tag">${r}</span>`)}</dd>
<dt>MITRE ATT&amp;CK</dt><dd>${incident.techniques.map(
          (t) =>
            html`<a class="tag" href="https://attack.mitre.org/techniques/${t.replace('.', '/')}/" rel="noreferrer">${t}</a>`,
        )}</dd>
</dl>
${
  inputs.length > 0
    ? html`<h2>The input that carried it</h2><table><thead><tr><th>Trigger</th><th>Field</th><th>Value</th><th>Effect</th></tr></thead><tbody>${[
        ...new Map(inputs.map((i) => [`${i.source}\u0000${i.value}`, i])).values(),
      ].map(
        (i) =>
          html`<tr class="input"><td>${String(i.trigger ?? '')}</td><td><code>${String(i.source ?? '')}</code></td><td><code>${String(i.value ?? '')}</code></td><td>${String(i.effect ?? '')}</td></tr>`,
      )}</tbody></table>`
    : ''
}
<h2>Timeline</h2>
<table><thead><tr><th>Time</th><th>Invocation</th><th>Disposition</th><th>Rule</th><th>Package</th><th>Evidence</th></tr></thead><tbody>
${findings.map(
  (
    f,
  ) => html`<tr class="finding"><td>${when(Number(f.time))}</td><td><code>${String(obj(f.metadata).correlation_uid ?? '')}</code></td>
<td>${String(f.disposition ?? '')}</td><td>${String(obj(obj(f.finding_info).analytic).uid ?? '')}</td>
<td>${String(obj(f.unmapped).package ?? '')}</td><td><code>${evidenceOf(f)}</code></td></tr>`,
)}</tbody></table>
<h2>Triage</h2>
<form method="post" action="/incidents/triage"><input type="hidden" name="id" value="${incident.id}">
<fieldset><label>State <select name="state">${stateOptions(incident.state)}</select></label>
<label>Reason (to close) <select name="reason"><option value="">—</option>${reasonOptions()}</select></label>
<label>Assignee <input name="assignee" value="${incident.assignee ?? ''}" size="12"></label>
<button type="submit">Save</button></fieldset></form>
<details><summary>Raw OCSF (${findings.length})</summary><pre>${JSON.stringify(findings, null, 2)}</pre></details>`,
      ),
    );
  });
}
