/**
 * The incident list (filters, bulk triage, muted incidents marked) and an incident (its process
 * tree, timeline, the input that carried the attack, packages, MITRE techniques, triage, mute,
 * promote to policy, the raw OCSF).
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { type ProcessNode, processTree } from '../process-tree';
import { CLOSE_REASONS, INCIDENT_STATES, type IncidentState, type Suppression } from '../store';
import { suppressionFor } from '../suppression';
import {
  functionHref,
  layout,
  obj,
  type PageDeps,
  reasonOptions,
  severity,
  stateOptions,
  stateTag,
  when,
} from './layout';

/** What a finding is about, in a line: the command, the file, the destination. */
function evidenceOf(f: Record<string, unknown>): string {
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

const mutedTag = (s: Suppression | undefined) =>
  s
    ? html`<span class="muted-tag" title="${s.reason}">Muted by ${s.owner} until ${when(s.expires).slice(0, 10)}</span>`
    : '';

function treeItem(n: ProcessNode): ReturnType<typeof html> {
  return html`<li class="proc"><code>${n.pid !== undefined ? `[${n.pid}] ` : ''}${n.label}</code>${n.blocked ? html` <span class="bad">blocked</span>` : ''}
${n.rules.map((r) => html` <span class="tag">${r}</span>`)}
${n.actions.length > 0 ? html`<ul>${n.actions.map((a) => html`<li class="action"><span class="tag">${a.rule}</span> <code>${a.what}</code></li>`)}</ul>` : ''}
${n.children.length > 0 ? html`<ul>${n.children.map(treeItem)}</ul>` : ''}</li>`;
}

export function registerIncidentPages(app: Hono, d: PageDeps): void {
  app.get('/incidents', async (c) => {
    const q = c.req.query();
    const filter = {
      ...(q.state && (INCIDENT_STATES as readonly string[]).includes(q.state)
        ? { state: q.state as IncidentState }
        : {}),
      ...(q.function ? { function: q.function } : {}),
      ...(q.rule ? { rule: q.rule } : {}),
      ...(q.package ? { package: q.package } : {}),
      ...(q.technique ? { technique: q.technique } : {}),
      limit: 500,
    };
    const now = d.now();
    const suppressions = await d.store.suppressions();
    const all = (await d.store.incidents(filter)).map((i) => ({
      incident: i,
      mute: suppressionFor(i, suppressions, now),
    }));
    const incidents = q.muted === 'hide' ? all.filter((x) => !x.mute) : all;
    const hidden = all.length - incidents.length;
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
<label>Rule <input name="rule" value="${q.rule ?? ''}" size="26"></label>
<label>Package <input name="package" value="${q.package ?? ''}" size="14"></label>
<label>Technique <input name="technique" value="${q.technique ?? ''}" size="9"></label>
<label>Muted <select name="muted"><option value="">show</option><option value="hide" ${q.muted === 'hide' ? 'selected' : ''}>hide</option></select></label>
<button type="submit">Filter</button></fieldset></form>
${hidden > 0 ? html`<p class="muted">${hidden} muted incident(s) hidden.</p>` : ''}
<form method="post" action="/incidents/triage">
<fieldset><legend>Triage the selected</legend>
<label>State <select name="state">${stateOptions('in_progress')}</select></label>
<label>Reason (to close) <select name="reason"><option value="">—</option>${reasonOptions()}</select></label>
<label>Assignee <input name="assignee" size="12"></label>
<button type="submit">Apply</button></fieldset>
<table><thead><tr><th></th><th>Severity</th><th>Incident</th><th>Function</th><th>Findings</th><th>Last seen</th><th>State</th></tr></thead>
<tbody>${incidents.map(
          ({
            incident: i,
            mute,
          }) => html`<tr data-incident="${i.id}"><td><input type="checkbox" name="id" value="${i.id}" aria-label="select ${i.id}"></td>
<td>${severity(i.severityId)}</td>
<td><a href="/incidents/${i.id}">${i.title}</a><br><span class="muted">${i.rules.join(', ')}</span></td>
<td><a href="${functionHref(i.functionArn)}">${i.functionName}</a></td><td>${i.findings} in ${i.invocations} invocation(s)</td><td>${when(i.lastSeen)}</td>
<td>${stateTag(i)}${i.assignee ? html`<br><span class="muted">${i.assignee}</span>` : ''}${mute ? html`<br>${mutedTag(mute)}` : ''}</td></tr>`,
        )}</tbody></table>
${incidents.length === 0 ? html`<p class="muted">No incident matches.</p>` : ''}
</form>`,
        '/incidents',
      ),
    );
  });

  app.post('/incidents/triage', async (c) => {
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
      const done = await d.store.updateIncident(
        id,
        {
          state: s as IncidentState,
          ...(s === 'closed' ? { reason: reason as (typeof CLOSE_REASONS)[number] } : {}),
          ...(assignee ? { assignee } : {}),
        },
        d.now(),
      );
      if (done) updated++;
    }
    const back = c.req.header('referer');
    const target = new URL(
      back && URL.canParse(back) && new URL(back).pathname.startsWith('/incidents')
        ? back
        : 'http://x/incidents',
    );
    target.searchParams.set('updated', String(updated));
    return c.redirect(`${target.pathname}${target.search}`, 303);
  });

  app.get('/incidents/:id', async (c) => {
    const incident = await d.store.incident(c.req.param('id'));
    if (!incident) return c.html(layout('Not found', html`<h1>No such incident</h1>`), 404);
    const findings = (await d.store.findings({ incident: incident.id, limit: 10_000 })).map(obj);
    const inputs = findings.map((f) => obj(obj(f.unmapped).input)).filter((i) => Object.keys(i).length > 0);
    const mute = suppressionFor(incident, await d.store.suppressions(), d.now());
    const similar = new URLSearchParams({
      functions: incident.functionName,
      rules: incident.rules.length === 1 ? (incident.rules[0] as string) : `{${incident.rules.join(',')}}`,
      ...(incident.packages.length === 1 ? { package: incident.packages[0] as string } : {}),
    });
    const tree = processTree(findings);
    return c.html(
      layout(
        incident.title,
        html`<p><a href="/incidents">← Incidents</a></p>
<h1>${severity(incident.severityId)} ${incident.title}</h1>
${mute ? html`<p>${mutedTag(mute)} <span class="muted">${mute.reason}</span> — it is not routed.</p>` : ''}
<dl>
<dt>Function</dt><dd><a href="${functionHref(incident.functionArn)}">${incident.functionName}</a> <span class="muted">${incident.functionArn}</span></dd>
<dt>State</dt><dd>${stateTag(incident)}${incident.assignee ? html` · ${incident.assignee}` : ''}</dd>
<dt>Seen</dt><dd>${when(incident.firstSeen)} → ${when(incident.lastSeen)}, ${incident.findings} finding(s) in ${incident.invocations} invocation(s)</dd>
<dt>Packages</dt><dd>${incident.packages.map((p) => html`<span class="tag">${p}</span>`)}</dd>
<dt>Rules</dt><dd>${incident.rules.map((r) => html`<span class="tag">${r}</span>`)}</dd>
<dt>MITRE ATT&amp;CK</dt><dd>${incident.techniques.map(
          (t) =>
            html`<a class="tag" href="https://attack.mitre.org/techniques/${t.replace('.', '/')}/" rel="noreferrer">${t}</a>`,
        )}</dd>
</dl>
<p><a href="${functionHref(incident.functionArn)}/promote?incident=${incident.id}">Promote to policy…</a> · <a href="/suppressions?${similar.toString()}">Mute similar…</a></p>
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
<h2>Process tree</h2>
<ul class="tree">${tree.map(treeItem)}</ul>
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
        '/incidents',
      ),
    );
  });
}
