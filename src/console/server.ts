/**
 * `warden serve`'s HTTP interface (Hono on Node's http server): the collector endpoint the
 * extension's shipper posts to, and the JSON API the console's pages and other tools read.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { asffBatches } from './asff';
import { parseFirehose } from './firehose';
import { registerFleetApi } from './fleet-api';
import { toIncidentFinding } from './incident-finding';
import { MAX_BATCH_BYTES, parseBatch } from './ingest';
import { registerPages } from './pages';
import {
  NOTIFY_EVERY_MS,
  notification,
  publicRoute,
  type RoutesConfig,
  routesFor,
  send,
  sendTest,
} from './routes';
import {
  CLOSE_REASONS,
  type CloseReason,
  INCIDENT_STATES,
  type IncidentPatch,
  type IncidentState,
  type Store,
} from './store';
import { suppressionFor } from './suppression';

export interface ServerOptions {
  store: Store;
  /** Where incidents are routed (warden serve --routes). */
  routes?: RoutesConfig;
  /** A notification that got no 2xx (route, incident, status): for the operator's log. */
  onNotifyFailed?(route: string, incidentId: string, status: number): void;
  /** The bearer token ingest and the API require (none: open, for loopback use only). */
  token?: string;
  now?: () => number;
}

declare const __WARDEN_VERSION__: string;
const VERSION = typeof __WARDEN_VERSION__ === 'string' ? __WARDEN_VERSION__ : '0.0.0-dev';
const COOKIE = 'warden_token';

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** `since` as epoch milliseconds or an ISO date; undefined when absent, NaN when unreadable. */
function sinceOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

export function consoleApp(o: ServerOptions): Hono {
  const now = o.now ?? Date.now;
  const app = new Hono();
  /**
   * Each touched incident to the routes it matches, at most once per route and NOTIFY_EVERY_MS.
   * Runs after the batch is acknowledged; a failure is reported, never thrown at the server.
   */
  const notify = async (incidentIds: readonly string[]): Promise<void> => {
    if (!o.routes || o.routes.routes.length === 0) return;
    const suppressions = await o.store.suppressions();
    for (const id of incidentIds) {
      const incident = await o.store.incident(id);
      // A muted incident is stored and shown, never sent.
      if (!incident || suppressionFor(incident, suppressions, now())) continue;
      for (const route of routesFor(o.routes, incident)) {
        const t = now();
        if (!(await o.store.claimNotification(route.name, id, t, NOTIFY_EVERY_MS))) continue;
        const status = await send(
          notification(route, incident, {
            now: t,
            ...(o.routes.consoleUrl ? { consoleUrl: o.routes.consoleUrl } : {}),
          }),
        );
        if (status < 200 || status >= 300) o.onNotifyFailed?.(route.name, id, status);
      }
    }
  };
  // A browser signs in once with the token (/login?token=…) and keeps it in a cookie only this
  // site sends (SameSite=Strict: another site's form cannot triage for it).
  app.get('/login', (c) => {
    const given = c.req.query('token') ?? '';
    if (!o.token || !tokenMatches(given, o.token))
      return c.text('open /login?token=<the console token>', 401);
    c.header(
      'set-cookie',
      `${COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/${c.req.url.startsWith('https:') ? '; Secure' : ''}`,
    );
    return c.redirect('/', 303);
  });
  app.use('*', async (c, next) => {
    // Firehose authenticates with its access key (checked by its route, answered in its shape).
    // The pages' script and stylesheet are public code (uPlot and the chart island): no token.
    if (
      ['/healthz', '/v1/firehose', '/favicon.ico'].includes(c.req.path) ||
      c.req.path.startsWith('/assets/') ||
      !o.token
    )
      return next();
    const cookie = /(?:^|;\s*)warden_token=([^;]*)/.exec(c.req.header('cookie') ?? '')?.[1];
    const fromPage =
      !c.req.path.startsWith('/v1/') && !c.req.path.startsWith('/api/') && cookie !== undefined;
    if (tokenMatches(c.req.header('authorization'), o.token)) return next();
    if (fromPage && tokenMatches(decodeURIComponent(cookie), o.token)) return next();
    return c.req.path.startsWith('/v1/') || c.req.path.startsWith('/api/')
      ? c.json({ error: 'a bearer token is required (Authorization: Bearer …)' }, 401)
      : c.text('sign in: open /login?token=<the console token>', 401);
  });
  app.get('/healthz', (c) => c.json({ ok: true }));

  app.post('/v1/findings', async (c) => {
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > MAX_BATCH_BYTES) return c.json({ error: `the batch is over ${MAX_BATCH_BYTES} bytes` }, 413);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const parsed = parseBatch(body, /gzip/i.test(c.req.header('content-encoding') ?? ''));
    if (!parsed.ok)
      return c.json({ error: parsed.error, ...(parsed.line ? { line: parsed.line } : {}) }, 400);
    // Acknowledged once the transaction has committed (durable), never before.
    const result = await o.store.ingest(parsed.findings, now());
    notify(result.incidents).catch(() => o.onNotifyFailed?.('*', '*', 0));
    return c.json(result, 200);
  });

  // Amazon Data Firehose's HTTP endpoint delivery: its request, its answer ({requestId, timestamp}).
  app.post('/v1/firehose', async (c) => {
    const headerId = c.req.header('x-amz-firehose-request-id');
    const answer = (status: 200 | 400 | 401 | 413, requestId: string, errorMessage?: string) =>
      c.json({ requestId, timestamp: now(), ...(errorMessage ? { errorMessage } : {}) }, status);
    if (o.token && !tokenMatches(c.req.header('x-amz-firehose-access-key'), o.token))
      return answer(401, headerId ?? '', 'the access key is not the console token');
    if (Number(c.req.header('content-length') ?? 0) > MAX_BATCH_BYTES)
      return answer(413, headerId ?? '', 'payload too large');
    const parsed = parseFirehose(
      new Uint8Array(await c.req.arrayBuffer()),
      /gzip/i.test(c.req.header('content-encoding') ?? ''),
      headerId,
    );
    if (!parsed.ok) return answer(400, parsed.requestId, parsed.error);
    if (parsed.batch.findings.length > 0)
      notify((await o.store.ingest(parsed.batch.findings, now())).incidents).catch(() =>
        o.onNotifyFailed?.('*', '*', 0),
      );
    return answer(200, parsed.batch.requestId);
  });

  app.get('/api/incidents', async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !(INCIDENT_STATES as readonly string[]).includes(state))
      return c.json({ error: `state: one of ${INCIDENT_STATES.join(', ')}` }, 400);
    const since = sinceOf(c.req.query('since'));
    if (Number.isNaN(since)) return c.json({ error: 'since: epoch milliseconds or an ISO date' }, 400);
    const limit = Number(c.req.query('limit') ?? 100);
    return c.json({
      incidents: await o.store.incidents({
        ...(state ? { state: state as IncidentState } : {}),
        ...(c.req.query('function') ? { function: c.req.query('function') } : {}),
        ...(c.req.query('rule') ? { rule: c.req.query('rule') } : {}),
        ...(c.req.query('package') ? { package: c.req.query('package') } : {}),
        ...(since !== undefined ? { since } : {}),
        limit: Number.isInteger(limit) && limit > 0 ? limit : 100,
      }),
    });
  });

  app.get('/api/incidents/:id', async (c) => {
    const incident = await o.store.incident(c.req.param('id'));
    if (!incident) return c.json({ error: 'no such incident' }, 404);
    return c.json({ incident, findings: await o.store.findings({ incident: incident.id, limit: 10_000 }) });
  });

  // The incident as an OCSF Incident Finding (class 2005).
  app.get('/api/incidents/:id/ocsf', async (c) => {
    const incident = await o.store.incident(c.req.param('id'));
    if (!incident) return c.json({ error: 'no such incident' }, 404);
    const findings = await o.store.findings({ incident: incident.id, limit: 10_000 });
    return c.json(
      toIncidentFinding(incident, findings, {
        now: now(),
        product: { name: 'Warden', version: VERSION },
        ...(o.routes?.consoleUrl ? { consoleUrl: o.routes.consoleUrl } : {}),
      }),
    );
  });

  app.patch('/api/incidents/:id', async (c) => {
    let body: Record<string, unknown>;
    try {
      body = (await c.req.json()) as Record<string, unknown>;
    } catch {
      return c.json({ error: 'the body is not JSON' }, 400);
    }
    const patch: IncidentPatch = {};
    for (const key of Object.keys(body))
      if (!['state', 'reason', 'assignee'].includes(key))
        return c.json({ error: `${key}: not a field of an incident one can change` }, 400);
    if (body.state !== undefined) {
      if (!(INCIDENT_STATES as readonly unknown[]).includes(body.state))
        return c.json({ error: `state: one of ${INCIDENT_STATES.join(', ')}` }, 400);
      patch.state = body.state as IncidentState;
    }
    if (body.reason !== undefined) {
      if (body.reason !== null && !(CLOSE_REASONS as readonly unknown[]).includes(body.reason))
        return c.json({ error: `reason: one of ${CLOSE_REASONS.join(', ')}` }, 400);
      patch.reason = body.reason as CloseReason | null;
    }
    if (body.assignee !== undefined) {
      if (body.assignee !== null && (typeof body.assignee !== 'string' || body.assignee.length > 200))
        return c.json({ error: 'assignee: a name (up to 200 characters) or null' }, 400);
      patch.assignee = body.assignee as string | null;
    }
    const current = await o.store.incident(c.req.param('id'));
    if (!current) return c.json({ error: 'no such incident' }, 404);
    if (patch.state === 'closed' && !(patch.reason ?? current.reason))
      return c.json({ error: `closing takes a reason: one of ${CLOSE_REASONS.join(', ')}` }, 400);
    return c.json({ incident: await o.store.updateIncident(current.id, patch, now()) });
  });

  // AWS Security Hub: BatchImportFindings request bodies (≤ 100 findings, ≤ 6 MB each) for the
  // findings that match, to send with the account's credentials.
  app.get('/api/export/securityhub', async (c) => {
    const since = sinceOf(c.req.query('since'));
    if (Number.isNaN(since)) return c.json({ error: 'since: epoch milliseconds or an ISO date' }, 400);
    const findings = await o.store.findings({
      ...(c.req.query('function') ? { function: c.req.query('function') } : {}),
      ...(c.req.query('rule') ? { rule: c.req.query('rule') } : {}),
      ...(c.req.query('incident') ? { incident: c.req.query('incident') } : {}),
      ...(since !== undefined ? { since } : {}),
      limit: 10_000,
    });
    return c.json(asffBatches(findings, { now: now() }));
  });

  // The routes (secrets left out), and a test notification through one.
  app.get('/api/routes', (c) => c.json({ routes: (o.routes?.routes ?? []).map(publicRoute) }));
  app.post('/api/routes/:name/test', async (c) => {
    const route = o.routes?.routes.find((r) => r.name === c.req.param('name'));
    if (!route) return c.json({ error: 'no such route' }, 404);
    const status = await sendTest(route, {
      now: now(),
      ...(o.routes?.consoleUrl ? { consoleUrl: o.routes.consoleUrl } : {}),
    });
    return c.json(
      { route: route.name, status, ok: status >= 200 && status < 300 },
      status >= 200 && status < 300 ? 200 : 502,
    );
  });

  registerFleetApi(app, { store: o.store, now });
  registerPages(app, { store: o.store, ...(o.routes ? { routes: o.routes } : {}), now });

  app.get('/api/findings', async (c) => {
    const since = sinceOf(c.req.query('since'));
    if (Number.isNaN(since)) return c.json({ error: 'since: epoch milliseconds or an ISO date' }, 400);
    const limit = Number(c.req.query('limit') ?? 1000);
    return c.json({
      findings: await o.store.findings({
        ...(c.req.query('function') ? { function: c.req.query('function') } : {}),
        ...(c.req.query('rule') ? { rule: c.req.query('rule') } : {}),
        ...(since !== undefined ? { since } : {}),
        limit: Number.isInteger(limit) && limit > 0 ? limit : 1000,
      }),
    });
  });
  return app;
}
