/** The DNS resolvers this machine's processes query (/etc/resolv.conf's `nameserver` lines). */
import { readFileSync } from 'node:fs';

export function nameservers(file = '/etc/resolv.conf'): Set<string> {
  try {
    return new Set([...readFileSync(file, 'latin1').matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!));
  } catch {
    return new Set();
  }
}
