/**
 * The console's pages: server-rendered HTML, plain forms for filters and actions, no script to
 * build or load. Every form post must come from these pages (its Origin is checked). A form
 * refused for what was typed in it comes back as the page (200) with the reason shown and the
 * form kept: the page is the answer. The JSON API answers 4xx for the same mistakes.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Hono } from 'hono';
import { registerAttackPage } from './attack';
import { registerFunctionPages } from './functions';
import { registerHealthPage } from './health';
import { registerIncidentPages } from './incidents';
import { type PageDeps, sameSite } from './layout';
import { registerOverviewPage } from './overview';
import { registerRoutesPage } from './routes';
import { registerSuppressionPages } from './suppressions';

export type { PageDeps } from './layout';

export function registerPages(app: Hono, d: PageDeps): void {
  app.use('*', async (c, next) => {
    if (
      c.req.method === 'POST' &&
      !c.req.path.startsWith('/v1/') &&
      !c.req.path.startsWith('/api/') &&
      !sameSite(c)
    )
      return c.text('cross-site request refused', 403);
    return next();
  });
  // Every page: scripts only from here (the charts), no framing (triage is a click away), no sniffing.
  app.use('*', async (c, next) => {
    await next();
    if (!(c.res.headers.get('content-type') ?? '').startsWith('text/html')) return;
    c.res.headers.set(
      'content-security-policy',
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('referrer-policy', 'same-origin');
  });
  // Browsers ask for it on every page: nothing to show, and no error in their console.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  // The charts' script (uPlot and the island that draws with it) and uPlot's stylesheet.
  const assets = new Map<string, Buffer>();
  const TYPES: Record<string, string> = {
    'charts.js': 'text/javascript; charset=utf-8',
    'uplot.css': 'text/css; charset=utf-8',
  };
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const type = TYPES[name];
    if (!type) return c.body(null, 404);
    let body = assets.get(name);
    if (!body) {
      try {
        body = readFileSync(path.join(__dirname, 'console-assets', name));
      } catch {
        return c.body(null, 404);
      }
      assets.set(name, body);
    }
    return c.body(new Uint8Array(body), 200, {
      'content-type': type,
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
  });
  registerOverviewPage(app, d);
  registerIncidentPages(app, d);
  registerFunctionPages(app, d);
  registerSuppressionPages(app, d);
  registerAttackPage(app, d);
  registerHealthPage(app, d);
  registerRoutesPage(app, d);
}
