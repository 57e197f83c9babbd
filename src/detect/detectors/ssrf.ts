/**
 * Server-side request forgery: the function connects where the invocation's event told it to,
 * and that is (a) a private, loopback, link-local, unique-local or metadata address (by the IP
 * actually connected: DNS rebinding and numeric IP forms included), or (b) a host that input
 * spliced into a URL the code built (`base + "@evil.example/"`, `//evil.example`), moving it
 * off the code's own host. A URL in the payload the function never connects to, or a public
 * URL the function is meant to call (a webhook), does not fire.
 */
import type { SensorEvent } from '../../events/types';
import { ipaddr } from '../../lazy';
import { normalizeIp } from '../../net/address';
import type { DetectContext } from '../context';
import { type Detector, type DetectorHit, evidence } from './types';

const INTERNAL_RANGES = new Set([
  'private',
  'loopback',
  'linkLocal',
  'uniqueLocal',
  'unspecified',
  'carrierGradeNat',
  'reserved',
]);
const INTERNAL_NAMES =
  /^(localhost|localhost\.localdomain|ip6-localhost|metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal)$|\.localhost$|\.internal$/;

/** The address range of an IP, as ipaddr.js names it (`private`, `loopback`, `unicast` …). */
export function rangeOf(ip: string): string | undefined {
  const n = normalizeIp(ip);
  if (!n) return undefined;
  try {
    return ipaddr().parse(n).range();
  } catch {
    return undefined;
  }
}

export function isInternal(ip: string | undefined, host: string | undefined): boolean {
  if (ip) {
    const r = rangeOf(ip);
    if (r && INTERNAL_RANGES.has(r)) return true;
  }
  return host !== undefined && INTERNAL_NAMES.test(host.toLowerCase());
}

/** Host names and IPs a string names: a URL's host, or a bare `host[:port]`. */
export function hostsIn(value: string): string[] {
  const out: string[] = [];
  const v = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    try {
      const u = new URL(v);
      if (u.hostname) out.push(u.hostname.replace(/^\[|\]$/g, '').toLowerCase());
    } catch {
      // not a URL
    }
  } else if (/^\/\/[^/]/.test(v)) {
    const h = /^\/\/([^/?#:@]+)/.exec(v)?.[1];
    if (h) out.push(h.toLowerCase());
  } else {
    const m = /^\[?([A-Za-z0-9.\-:_%]+?)\]?(?::\d{1,5})?(?:[/?#].*)?$/.exec(v);
    if (
      m?.[1] &&
      (m[1].includes('.') || m[1].includes(':') || /^localhost$/i.test(m[1]) || /^\d+$/.test(m[1]))
    )
      out.push(m[1].toLowerCase());
  }
  return out;
}

/** Input values are fixed for an invocation: their hosts are worked out once. */
const hostCache = new WeakMap<object, string[]>();
function hostsOf(t: { value: string }): string[] {
  let h = hostCache.get(t);
  if (!h) {
    h = hostsIn(t.value);
    hostCache.set(t, h);
  }
  return h;
}

function sameHost(a: string, ev: { host?: string; ip?: string }): boolean {
  const ip = normalizeIp(a);
  if (ip !== undefined) return ip === ev.ip || ip === ev.host;
  return a.replace(/\.$/, '') === ev.host;
}

/** `…@host`, `\host`, `//host` inside input that is not itself a URL: it moved a URL's authority. */
function splicesAuthority(value: string, host: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) return false;
  const h = host.toLowerCase();
  const v = value.toLowerCase();
  for (const sep of ['@', '\\', '//']) {
    let i = v.indexOf(`${sep}${h}`);
    while (i >= 0) {
      // `//host` is a splice only where it is not a URL of the input's own (`https://host`).
      // Not when it sits inside a URL the input itself spells out (`"https://u@host"` in a body).
      const token =
        v
          .slice(0, i)
          .split(/["'\s<>]/)
          .pop() ?? '';
      if (!token.includes('://') && (sep !== '//' || (i > 0 && v[i - 1] !== ':'))) return true;
      i = v.indexOf(`${sep}${h}`, i + 1);
    }
  }
  return false;
}

export const ssrf: Detector = (ev: SensorEvent, ctx: DetectContext): DetectorHit | null => {
  if (ev.surface !== 'network' || ev.op === 'send') return null;
  const inputs = ctx.inputs?.();
  if (!inputs || inputs.values.length === 0) return null;
  const dest = `${ev.host ?? ev.ip}${ev.ip && ev.ip !== ev.host ? ` (${ev.ip})` : ''}:${ev.port}`;
  // Whether the destination is internal is asked only once an input names it.
  let internal: boolean | undefined;
  for (const t of inputs.values) {
    for (const h of hostsOf(t)) {
      if (!sameHost(h, ev)) continue;
      internal ??= ev.op !== 'dns' && isInternal(ev.ip, ev.host);
      if (internal)
        return {
          reason: `input from ${t.source} points the function at ${dest}, an internal address`,
          input: evidence(inputs.trigger, t.source, t.value, `made the function connect to ${dest}`),
        };
    }
    if (ev.host && ev.op !== 'dns' && t.value.length > ev.host.length && splicesAuthority(t.value, ev.host))
      return {
        reason: `input from ${t.source} moved a URL to another host: ${dest}`,
        input: evidence(inputs.trigger, t.source, t.value, `changed the host of a URL to ${ev.host}`),
      };
  }
  return null;
};
