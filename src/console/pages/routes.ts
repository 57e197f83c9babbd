/**
 * Routes: where incidents go (from `warden serve --routes`), shown without their secrets, each
 * with a button that sends a test notification and says what the receiver answered.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { publicRoute, sendTest } from '../routes';
import { layout, type PageDeps, SEVERITY } from './layout';

export function registerRoutesPage(app: Hono, d: PageDeps): void {
  const page = (result?: { route: string; status: number }) => {
    const routes = d.routes?.routes ?? [];
    const ok = result && result.status >= 200 && result.status < 300;
    return layout(
      'Routes',
      html`<h1>Routes</h1>
${
  result
    ? html`<p role="status" class="${ok ? 'ok' : 'error'}">Test notification through ${result.route}: ${
        result.status === 0 ? 'no answer (unreachable or timed out)' : `HTTP ${result.status}`
      }${ok ? ' — delivered.' : ' — not delivered.'}</p>`
    : ''
}
${
  routes.length === 0
    ? html`<p class="muted">No routes: give <code>warden serve --routes routes.yaml</code> (signed webhook, Slack, PagerDuty Events v2).</p>`
    : html`<table><thead><tr><th>Name</th><th>Kind</th><th>To</th><th>From severity</th><th>Functions</th><th>Rules</th><th></th></tr></thead><tbody>
${routes.map((r) => {
  const p = publicRoute(r);
  return html`<tr data-route="${p.name}"><td>${p.name}</td><td>${p.kind}${p.signed ? ' (signed)' : ''}</td><td><code>${p.url}</code></td>
<td>${SEVERITY[p.minSeverity]}</td><td><code>${p.functions ?? '*'}</code></td><td><code>${p.rules ?? '*'}</code></td>
<td><form method="post" action="/routes/${encodeURIComponent(p.name)}/test" class="inline"><button type="submit">Send a test</button></form></td></tr>`;
})}</tbody></table>`
}
<p class="muted">Each route sends at most one notification per incident every 5 minutes; muted incidents are never sent.</p>`,
      '/routes',
    );
  };

  app.get('/routes', (c) => c.html(page()));

  app.post('/routes/:name/test', async (c) => {
    const route = d.routes?.routes.find((r) => r.name === c.req.param('name'));
    if (!route) return c.html(layout('Routes', html`<h1>No such route</h1>`, '/routes'), 404);
    const status = await sendTest(route, {
      now: d.now(),
      ...(d.routes?.consoleUrl ? { consoleUrl: d.routes.consoleUrl } : {}),
    });
    // The page is the answer (a failed delivery is reported on it, not as a failed page).
    return c.html(page({ route: route.name, status }));
  });
}
