/**
 * Routing incidents to people: a routes file (`warden serve --routes routes.yaml`) names where
 * an incident goes — a signed generic webhook, a Slack-compatible webhook, PagerDuty Events v2
 * (the incident id as its dedup key) — for which severities, functions and rules. A route sends
 * at most one notification per incident per NOTIFY_EVERY_MS (claimed in the store, so several
 * instances send it once). Parsing and matching are pure; sending is `send`.
 */
import { createHmac } from 'node:crypto';
import picomatch from 'picomatch';
import type { Incident } from './store';

export const NOTIFY_EVERY_MS = 5 * 60 * 1000;
export const ROUTE_KINDS = ['webhook', 'slack', 'pagerduty'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];
const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
/** OCSF severity_id of each name (critical includes fatal). */
const SEVERITY_ID: Record<(typeof SEVERITIES)[number], number> = {
  informational: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface Route {
  name: string;
  kind: RouteKind;
  url: string;
  /** webhook: the HMAC-SHA256 key of X-Warden-Signature. */
  secret?: string;
  /** pagerduty: the integration's routing key. */
  routingKey?: string;
  minSeverity: number;
  functions?: string;
  rules?: string;
}

export interface RoutesConfig {
  routes: Route[];
  /** The console's address people open (links in notifications). */
  consoleUrl?: string;
}

export type RoutesResult = { ok: true; config: RoutesConfig } | { ok: false; error: string };

/** Reads a routes file (YAML or JSON); an error names the file, the line and the field. */
export function parseRoutes(file: string, text: string): RoutesResult {
  const YAML = require('yaml') as typeof import('yaml');
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0] as { message: string; linePos?: [{ line: number }] };
    return { ok: false, error: `${file}:${e.linePos?.[0].line ?? 1}: ${e.message.split('\n')[0]}` };
  }
  const at = (path: (string | number)[], field: string, message: string): RoutesResult => {
    const node = doc.getIn(path, true) as { range?: [number] } | undefined;
    const line = node?.range ? lines.linePos(node.range[0]).line : 1;
    return { ok: false, error: `${file}:${line}: ${field}: ${message}` };
  };
  const value = doc.toJS() as { routes?: unknown; consoleUrl?: unknown } | null;
  if (!value || typeof value !== 'object')
    return { ok: false, error: `${file}:1: expected a mapping with routes:` };
  for (const key of Object.keys(value))
    if (key !== 'routes' && key !== 'consoleUrl') return at([key], key, 'not a field of a routes file');
  if (!Array.isArray(value.routes)) return at(['routes'], 'routes', 'a list of routes');
  const routes: Route[] = [];
  const names = new Set<string>();
  for (const [i, raw] of (value.routes as unknown[]).entries()) {
    const r = (raw ?? {}) as Record<string, unknown>;
    const field = (k: string) => `routes[${i}].${k}`;
    for (const key of Object.keys(r))
      if (!['name', 'kind', 'url', 'secret', 'routingKey', 'minSeverity', 'functions', 'rules'].includes(key))
        return at(['routes', i, key], field(key), 'not a field of a route');
    if (typeof r.name !== 'string' || !/^[\w.-]{1,64}$/.test(r.name))
      return at(['routes', i, 'name'], field('name'), 'a name of letters, digits, ., - and _');
    if (names.has(r.name)) return at(['routes', i, 'name'], field('name'), `${r.name} is named twice`);
    names.add(r.name);
    if (!(ROUTE_KINDS as readonly unknown[]).includes(r.kind))
      return at(['routes', i, 'kind'], field('kind'), `one of ${ROUTE_KINDS.join(', ')}`);
    const kind = r.kind as RouteKind;
    const url = r.url ?? (kind === 'pagerduty' ? PAGERDUTY_EVENTS_URL : undefined);
    if (typeof url !== 'string' || !/^https?:\/\//.test(url))
      return at(['routes', i, 'url'], field('url'), 'an http(s) URL');
    if (kind === 'pagerduty' && typeof r.routingKey !== 'string')
      return at(['routes', i], field('routingKey'), 'PagerDuty needs the integration’s routing key');
    if (kind === 'webhook' && typeof r.secret !== 'string')
      return at(['routes', i], field('secret'), 'a webhook is signed: give its secret');
    const minSeverity = r.minSeverity ?? 'low';
    if (!(SEVERITIES as readonly unknown[]).includes(minSeverity))
      return at(['routes', i, 'minSeverity'], field('minSeverity'), `one of ${SEVERITIES.join(', ')}`);
    for (const glob of ['functions', 'rules'] as const)
      if (r[glob] !== undefined && typeof r[glob] !== 'string')
        return at(['routes', i, glob], field(glob), 'a glob');
    routes.push({
      name: r.name,
      kind,
      url,
      ...(typeof r.secret === 'string' ? { secret: r.secret } : {}),
      ...(typeof r.routingKey === 'string' ? { routingKey: r.routingKey } : {}),
      minSeverity: SEVERITY_ID[minSeverity as (typeof SEVERITIES)[number]],
      ...(typeof r.functions === 'string' ? { functions: r.functions } : {}),
      ...(typeof r.rules === 'string' ? { rules: r.rules } : {}),
    });
  }
  if (
    value.consoleUrl !== undefined &&
    (typeof value.consoleUrl !== 'string' || !/^https?:\/\//.test(value.consoleUrl))
  )
    return at(['consoleUrl'], 'consoleUrl', 'an http(s) URL');
  return {
    ok: true,
    config: { routes, ...(typeof value.consoleUrl === 'string' ? { consoleUrl: value.consoleUrl } : {}) },
  };
}

/** The routes an incident goes to: its severity at least theirs, its function and a rule matching. */
export function routesFor(config: RoutesConfig, incident: Incident): Route[] {
  return config.routes.filter(
    (r) =>
      incident.severityId >= r.minSeverity &&
      (!r.functions || picomatch.isMatch(incident.functionName, r.functions)) &&
      (!r.rules || incident.rules.some((rule) => picomatch.isMatch(rule, r.rules as string))),
  );
}

const SEVERITY_NAME = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'];
const PD_SEVERITY = (id: number) =>
  id >= 5 ? 'critical' : id === 4 ? 'error' : id === 3 ? 'warning' : 'info';

/** The request a route makes for an incident: URL, headers, body. */
export function notification(
  route: Route,
  incident: Incident,
  o: { consoleUrl?: string; now: number },
): { url: string; headers: Record<string, string>; body: string } {
  const link = o.consoleUrl ? `${o.consoleUrl.replace(/\/$/, '')}/incidents/${incident.id}` : undefined;
  const summary = `[${SEVERITY_NAME[incident.severityId] ?? 'Unknown'}] ${incident.title} — ${incident.functionName} (${incident.findings} finding(s), ${incident.invocations} invocation(s))`;
  const json = { 'content-type': 'application/json' };
  if (route.kind === 'slack')
    return {
      url: route.url,
      headers: json,
      body: JSON.stringify({
        text: `${summary}${link ? ` <${link}|open>` : ''}`,
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: `*${summary}*${link ? `\n<${link}|Open in Warden>` : ''}` },
          },
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text: `rules: ${incident.rules.join(', ')} · packages: ${incident.packages.join(', ')}`,
              },
            ],
          },
        ],
      }),
    };
  if (route.kind === 'pagerduty')
    return {
      url: route.url,
      headers: json,
      body: JSON.stringify({
        routing_key: route.routingKey,
        event_action: 'trigger',
        dedup_key: incident.id,
        payload: {
          summary: summary.slice(0, 1024),
          source: incident.functionArn,
          severity: PD_SEVERITY(incident.severityId),
          timestamp: new Date(incident.lastSeen).toISOString(),
          component: incident.functionName,
          class: incident.rules[0] ?? 'warden',
          custom_details: {
            rules: incident.rules,
            packages: incident.packages,
            techniques: incident.techniques,
          },
        },
        ...(link ? { links: [{ href: link, text: 'Open in Warden' }] } : {}),
      }),
    };
  const body = JSON.stringify({ type: 'warden.incident', incident, ...(link ? { url: link } : {}) });
  const ts = String(o.now);
  const signature = createHmac('sha256', route.secret ?? '')
    .update(`${ts}.${body}`)
    .digest('hex');
  return {
    url: route.url,
    headers: { ...json, 'x-warden-timestamp': ts, 'x-warden-signature': `sha256=${signature}` },
    body,
  };
}

/** Sends a notification; resolves with the receiver's HTTP status (0: no answer). */
export async function send(n: {
  url: string;
  headers: Record<string, string>;
  body: string;
}): Promise<number> {
  try {
    const res = await fetch(n.url, {
      method: 'POST',
      headers: n.headers,
      body: n.body,
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * A route as the console shows it: no secret, no routing key, and only the origin of the URL
 * (a Slack webhook's path is its credential).
 */
export function publicRoute(r: Route): Omit<Route, 'secret' | 'routingKey'> & { signed: boolean } {
  const { secret: _s, routingKey: _k, ...rest } = r;
  return { ...rest, url: `${new URL(r.url).origin}/…`, signed: r.secret !== undefined };
}

/** Sends a test notification through a route (a sample incident); resolves with the HTTP status (0: no answer). */
export function sendTest(route: Route, o: { consoleUrl?: string; now: number }): Promise<number> {
  const t = o.now;
  return send(
    notification(
      route,
      {
        id: `test-${t}`,
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:warden-test',
        functionName: 'warden-test',
        title: 'Test notification from Warden',
        severityId: route.minSeverity,
        firstSeen: t,
        lastSeen: t,
        findings: 1,
        invocations: 1,
        rules: ['warden.test'],
        packages: ['<function>'],
        techniques: [],
        state: 'new',
        reason: null,
        assignee: null,
        updated: t,
      },
      o,
    ),
  );
}
