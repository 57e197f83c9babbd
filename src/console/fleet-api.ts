/**
 * The JSON API behind the fleet views: the overview's counts, functions and their policies (kept,
 * versioned, promoted into), suppressions, the ATT&CK matrix, fleet health.
 */
import type { Context, Hono } from 'hono';
import { attackMatrix, coveredTechniques } from './attack-matrix';
import { fleetHealth, HEALTH_RULES } from './fleet-health';
import { checkPolicyText, MAX_POLICY_BYTES, promotionFor } from './promotion';
import type { Store } from './store';
import { readSuppression } from './suppression';

const DAY_MS = 86_400_000;

/** `?days=` as a period ending now (1 to 400 days, default `fallback`); undefined when unreadable. */
function sinceDays(c: Context, now: number, fallback: number): number | undefined {
  const given = c.req.query('days');
  const days = given === undefined ? fallback : Number(given);
  return Number.isInteger(days) && days >= 1 && days <= 400 ? now - days * DAY_MS : undefined;
}

export function registerFleetApi(app: Hono, d: { store: Store; now(): number }): void {
  const badDays = (c: Context) => c.json({ error: 'days: a whole number of days from 1 to 400' }, 400);

  app.get('/api/functions', async (c) => {
    const since = sinceDays(c, d.now(), 30);
    return since === undefined ? badDays(c) : c.json({ functions: await d.store.functions(since) });
  });

  app.get('/api/functions/:arn', async (c) => {
    const arn = c.req.param('arn');
    const since = sinceDays(c, d.now(), 30);
    if (since === undefined) return badDays(c);
    const summary = (await d.store.functions(since)).find((f) => f.arn === arn);
    const policy = await d.store.policy(arn);
    if (!summary && !policy) return c.json({ error: 'no findings or policy of this function' }, 404);
    return c.json({
      function: summary ?? null,
      policy: policy ?? null,
      deviations: await d.store.findingsPerDay(arn, since, 'warden.deviation.'),
    });
  });

  app.get('/api/functions/:arn/policy', async (c) => {
    const policy = await d.store.policy(c.req.param('arn'));
    return policy ? c.json(policy) : c.json({ error: 'no policy kept for this function' }, 404);
  });

  // A new version of the function's policy: the body is the policy file (YAML or JSON).
  app.put('/api/functions/:arn/policy', async (c) => {
    const arn = c.req.param('arn');
    if (Number(c.req.header('content-length') ?? 0) > MAX_POLICY_BYTES)
      return c.json({ error: `the policy is over ${MAX_POLICY_BYTES} bytes` }, 413);
    const text = await c.req.text();
    const author = (c.req.header('x-warden-author') ?? c.req.query('author') ?? '').trim();
    if (!author || author.length > 200)
      return c.json({ error: 'author: who saves it (X-Warden-Author header or ?author=)' }, 400);
    const checked = checkPolicyText(`${arn.split(':').pop() ?? 'function'}-policy.yaml`, text);
    if (!checked.ok) return c.json({ error: checked.error }, 400);
    const saved = await d.store.savePolicy(arn, text, author, d.now());
    return c.json({ functionArn: arn, version: saved.version, created: saved.created }, 201);
  });

  app.get('/api/functions/:arn/promote', async (c) => {
    const view = await promotionFor(d.store, c.req.param('arn'), c.req.query('incident') ?? '');
    if (!view.ok) return c.json({ error: view.error }, view.status);
    const { promotion, policy, incident } = view;
    return c.json({
      incident: incident.id,
      basedOn: policy.version,
      observations: promotion.observations,
      changes: promotion.changes,
      diff: promotion.diff,
      policy: promotion.yaml,
    });
  });

  app.get('/api/suppressions', async (c) => c.json({ suppressions: await d.store.suppressions() }));

  app.post('/api/suppressions', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'the body is not JSON' }, 400);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return c.json(
        { error: 'a JSON object: functions, rules, package?, owner, reason, expires | days' },
        400,
      );
    const read = readSuppression(body as Record<string, unknown>, d.now());
    if (!read.ok) return c.json({ error: `${read.field}: ${read.error}`, field: read.field }, 400);
    await d.store.addSuppression(read.suppression);
    return c.json({ suppression: read.suppression }, 201);
  });

  app.delete('/api/suppressions/:id', async (c) =>
    (await d.store.endSuppression(c.req.param('id'), d.now()))
      ? c.json({ ended: c.req.param('id') })
      : c.json({ error: 'no active suppression by that id' }, 404),
  );

  app.get('/api/overview', async (c) => {
    const since = sinceDays(c, d.now(), 14);
    return since === undefined ? badDays(c) : c.json(await d.store.overview(since));
  });

  app.get('/api/attack', async (c) => {
    const since = sinceDays(c, d.now(), 30);
    if (since === undefined) return badDays(c);
    return c.json({ tactics: attackMatrix(await d.store.attacks(since), coveredTechniques()) });
  });

  app.get('/api/health', async (c) => {
    const since = sinceDays(c, d.now(), 7);
    if (since === undefined) return badDays(c);
    return c.json({
      functions: fleetHealth(
        await d.store.functions(since),
        await d.store.healthFindings(since, HEALTH_RULES),
      ),
    });
  });
}
