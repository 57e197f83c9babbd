import { ipaddr } from '../lazy';

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A canonical dotted IPv4 address as an unsigned integer (undefined for anything else). */
export function ipv4Int(s: string): number | undefined {
  const m = DOTTED.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255 || (m[i]!.length > 1 && m[i]!.startsWith('0'))) return undefined;
    n = n * 256 + part;
  }
  return n;
}

/** An IPv4 network as integers, so a dotted address is tested without parsing. */
export interface Ipv4Net {
  base: number;
  mask: number;
}

/** The network of `bits` leading bits around a dotted IPv4 address (undefined for anything else). */
export function ipv4Net(address: string, bits: number): Ipv4Net | undefined {
  const n = ipv4Int(address);
  if (n === undefined) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (n & mask) >>> 0, mask };
}

export function inIpv4Net(n: number, net: Ipv4Net): boolean {
  return (n & net.mask) >>> 0 === net.base;
}

/**
 * Normalizes an IP literal to the form connections are judged on: IPv4-mapped IPv6 folded to
 * IPv4 (`::ffff:127.0.0.1` → `127.0.0.1`), numeric IPv4 forms (`2130706433`, `0x7f.1`,
 * `0177.0.0.1`) to dotted decimal, IPv6 to its canonical short form. Returns undefined when
 * the input is not an IP literal (a host name).
 */
export function normalizeIp(input: string): string | undefined {
  // What connections carry almost always: a canonical dotted IPv4 address, already normal.
  if (ipv4Int(input) !== undefined) return input;
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone > 0 && text.includes(':')) text = text.slice(0, zone);
  if (!text) return undefined;
  const { IPv4, IPv6 } = ipaddr();
  if (text.includes(':')) {
    if (!IPv6.isValid(text)) return undefined;
    const v6 = IPv6.parse(text);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toString();
  }
  if (!/^[0-9a-fA-FxX.]+$/.test(text)) return undefined;
  // Forms inet_aton accepts: 1-4 parts, each decimal, octal (leading 0) or hex (0x).
  if (!IPv4.isValid(text)) return undefined;
  return IPv4.parse(text).toString();
}

export function isIpLiteral(input: string): boolean {
  return normalizeIp(input) !== undefined;
}

/**
 * The name a reverse (PTR) lookup of an IP literal queries: `4.3.2.1.in-addr.arpa` for
 * 1.2.3.4, 32 nibbles under `ip6.arpa` for IPv6 (where a lookup can carry 16 bytes of data).
 * Undefined when the input is not an IP literal.
 */
export function reverseName(input: string): string | undefined {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone > 0 && text.includes(':')) text = text.slice(0, zone);
  const { IPv4, IPv6 } = ipaddr();
  if (text.includes(':')) {
    if (!IPv6.isValid(text)) return undefined;
    const hex = IPv6.parse(text)
      .toByteArray()
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
    return `${[...hex].reverse().join('.')}.ip6.arpa`;
  }
  const v4 = normalizeIp(text);
  if (v4 === undefined || !IPv4.isValid(v4)) return undefined;
  return `${v4.split('.').reverse().join('.')}.in-addr.arpa`;
}
