import { ipaddr } from '../lazy';

/**
 * Normalizes an IP literal to the form connections are judged on: IPv4-mapped IPv6 folded to
 * IPv4 (`::ffff:127.0.0.1` → `127.0.0.1`), numeric IPv4 forms (`2130706433`, `0x7f.1`,
 * `0177.0.0.1`) to dotted decimal, IPv6 to its canonical short form. Returns undefined when
 * the input is not an IP literal (a host name).
 */
export function normalizeIp(input: string): string | undefined {
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
