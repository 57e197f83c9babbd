/**
 * The console's pages: server-rendered HTML, plain forms for filters and actions, no script to
 * build or load. Every form post must come from these pages (its Origin is checked). A form
 * refused for what was typed in it comes back as the page (200) with the reason shown and the
 * form kept: the page is the answer. The JSON API answers 4xx for the same mistakes.
 */
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
  // Browsers ask for it on every page: nothing to show, and no error in their console.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  registerOverviewPage(app, d);
  registerIncidentPages(app, d);
  registerFunctionPages(app, d);
  registerSuppressionPages(app, d);
  registerAttackPage(app, d);
  registerHealthPage(app, d);
  registerRoutesPage(app, d);
}
