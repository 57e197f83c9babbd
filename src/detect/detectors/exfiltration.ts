/**
 * Outbound data scanning, pure: the function's own credential values (and their common
 * encodings: URL-encoding, hex, base64 at every alignment, base64url, base32) and Stratum
 * mining-pool calls, found in bytes leaving the process. The sensor's hooks call `scan` on
 * socket writes, HTTP requests, UDP payloads and DNS names, and turn a hit into an event.
 *
 * SigV4 puts the access key id (`Credential=AKIA…/`) and the session token
 * (`X-Amz-Security-Token`) in every signed request, to whatever endpoint the SDK is pointed
 * at: those two positions are not exfiltration. The secret key is never sent by SigV4.
 */
import { MIN_CREDENTIAL_LENGTH } from '../limits';

export interface Needle {
  /** The variable the value came from. */
  name: string;
  encoding: string;
  text: string;
  /** Case-insensitive (DNS names): compare lower-cased. */
  folded: boolean;
  /** Where it may legitimately appear (SigV4 positions): the text right before it. */
  allowedAfter?: RegExp;
}

/** Shortest needle worth searching for: shorter ones match by chance. */
const MIN_NEEDLE = 16;

function base32(buf: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** base64 of `s` from offset k, complete groups only: present in any base64 of data holding s. */
function base64Slices(s: string): string[] {
  const out: string[] = [];
  const buf = Buffer.from(s, 'utf8');
  for (let k = 0; k < 3; k++) {
    const part = buf.subarray(k);
    const whole = part.subarray(0, part.length - (part.length % 3));
    out.push(whole.toString('base64'));
  }
  return out;
}

const SIGV4: Record<string, RegExp> = {
  AWS_ACCESS_KEY_ID: /(Credential=|X-Amz-Credential=|Credential%3D)$/i,
  AWS_SESSION_TOKEN: /(x-amz-security-token:\s*|X-Amz-Security-Token=)$/i,
};

/** Needles for each credential value: what to look for in outbound data. */
export function credentialNeedles(values: Record<string, string | undefined>): Needle[] {
  const out: Needle[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!value || value.length < MIN_CREDENTIAL_LENGTH) continue;
    const allowedAfter = SIGV4[name];
    const add = (encoding: string, text: string, folded = false) => {
      if (text.length < MIN_NEEDLE && !(encoding === 'plain' && text.length >= 12)) return;
      const t = folded ? text.toLowerCase() : text;
      if (out.some((n) => n.text === t && n.name === name && n.folded === folded)) return;
      out.push({
        name,
        encoding,
        text: t,
        folded,
        ...(allowedAfter && (encoding === 'plain' || encoding === 'url') ? { allowedAfter } : {}),
      });
    };
    add('plain', value);
    add('url', encodeURIComponent(value));
    const hex = Buffer.from(value, 'utf8').toString('hex');
    add('hex', hex);
    add('hex', hex.toUpperCase());
    for (const b of base64Slices(value)) {
      add('base64', b);
      add('base64url', b.replace(/\+/g, '-').replace(/\//g, '_'));
    }
    add('base32', base32(Buffer.from(value, 'utf8')), true);
    // DNS names are case-insensitive: the folded forms that survive a resolver.
    add('dns', value, true);
    add('dns-hex', hex, true);
  }
  return out;
}

export interface ScanHit {
  name: string;
  encoding: string;
}

/** Finds a credential in `text` (`folded`: the text is a DNS name, compare case-insensitively). */
export function findCredential(
  text: string,
  needles: readonly Needle[],
  folded = false,
): ScanHit | undefined {
  const hay = folded ? text.toLowerCase() : text;
  for (const n of needles) {
    if (n.folded !== folded) continue;
    let at = hay.indexOf(n.text);
    while (at >= 0) {
      if (!n.allowedAfter?.test(hay.slice(Math.max(0, at - 32), at)))
        return { name: n.name, encoding: n.encoding.replace(/^dns-?/, '') || 'plain' };
      at = hay.indexOf(n.text, at + 1);
    }
  }
  return undefined;
}

/** The longest needle: how much of the previous chunk to keep for a value split across writes. */
export function overlapOf(needles: readonly Needle[]): number {
  let max = 0;
  for (const n of needles) max = Math.max(max, n.text.length);
  return Math.max(0, max - 1);
}

const STRATUM =
  /"method"\s*:\s*"(mining\.(?:subscribe|authorize|submit|extranonce\.subscribe|configure)|eth_submitLogin|eth_submitWork|login|submit|keepalived)"/;

/** A Stratum / mining-pool JSON-RPC call at the start of a chunk (`mining.subscribe`, XMRig's `login`). */
export function stratumMethod(head: string): string | undefined {
  const s = head.trimStart();
  if (!s.startsWith('{')) return undefined;
  const m = STRATUM.exec(s.slice(0, 1024));
  if (!m) return undefined;
  // XMRig's `login` / `submit` carry its params; a generic JSON-RPC `login` without them is not mining.
  if (
    (m[1] === 'login' || m[1] === 'submit' || m[1] === 'keepalived') &&
    !/"(agent|job_id|nonce|algo|rigid)"\s*:/.test(s.slice(0, 1024))
  )
    return undefined;
  return m[1];
}
