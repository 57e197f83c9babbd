/**
 * The MITRE ATT&CK matrix of what was seen: a column per tactic, each technique Warden's
 * findings were tagged with (how many, when last; a link to its incidents), and greyed the
 * techniques Warden can tag that were not seen in the period.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { attackMatrix, coveredTechniques } from '../attack-matrix';
import { DAY_MS, layout, type PageDeps, when } from './layout';

export const PERIODS = [7, 30, 90] as const;

export function registerAttackPage(app: Hono, d: PageDeps): void {
  app.get('/attack', async (c) => {
    const days = Number(c.req.query('days') ?? 30);
    const period = (PERIODS as readonly number[]).includes(days) ? days : 30;
    const matrix = attackMatrix(await d.store.attacks(d.now() - period * DAY_MS), coveredTechniques());
    const seen = matrix.reduce((n, col) => n + col.cells.filter((x) => x.findings > 0).length, 0);
    return c.html(
      layout(
        'ATT&CK',
        html`<h1>MITRE ATT&amp;CK: what was seen</h1>
<p>${PERIODS.map((p) => html`<a class="tag" href="/attack?days=${p}" ${p === period ? html`aria-current="true"` : ''}>${p} days</a>`)}</p>
<p class="muted">${seen} technique(s) seen in the last ${period} days. Red: seen (findings, when last); grey: Warden can report it, not seen.</p>
<div class="matrix">${matrix.map(
          (
            col,
          ) => html`<div class="tactic" data-tactic="${col.tactic}"><h3>${col.name}<br><span style="font-weight:400">${col.tactic}</span></h3>
${col.cells.map((cell) =>
  cell.findings > 0
    ? html`<a class="cell seen" data-technique="${cell.technique}" href="/incidents?technique=${encodeURIComponent(cell.technique)}" title="${cell.name}: last ${when(cell.lastSeen)}"><b>${cell.technique}</b>${cell.name}<br>${cell.findings} finding(s)</a>`
    : html`<span class="cell" data-technique="${cell.technique}" title="${cell.name}"><b>${cell.technique}</b>${cell.name}</span>`,
)}</div>`,
        )}</div>`,
        '/attack',
      ),
    );
  });
}
