/**
 * Network, entirely at the binding layer (nothing loaded that the function does not load):
 * - TCP: net, tls, http, https, http2 and fetch/undici all create a `tcp_wrap.TCP` handle
 *   inside the caller's `connect()` and later call `TCP#connect{,6}` with the IP actually
 *   connected. The constructor hook keeps the caller's stack (V8 keeps frames; reading them
 *   is deferred); the connect hook judges host (`socket._host`), IP and port.
 * - UDP: `udp_wrap.UDP#{send,send6,connect,connect6}` (dgram), the stack kept at creation.
 * - DNS: `cares_wrap.getaddrinfo` (dns.lookup, and every connect by host name),
 *   `cares_wrap.getnameinfo` (dns.lookupService, a reverse lookup) and every c-ares
 *   `ChannelWrap` method that sends (query*, getHostByAddr: dns.resolve*, dns.reverse, custom
 *   Resolvers, dns.promises), called synchronously from the caller, so the live stack
 *   attributes them; a reverse lookup is judged as the PTR name it queries. `setServers` is
 *   judged as the UDP destinations the channel's later queries go to.
 * - Unix domain sockets: `pipe_wrap.Pipe#connect`, judged as a write to the socket file.
 * A refused call fails as the API fails, with ERR_WARDEN_BLOCKED: the socket's `destroy(err)`
 * / 'error' event, the send callback, the lookup callback or promise.
 */
import type { NetworkEvent } from '../../events/types';
import { normalizeIp, reverseName } from '../../net/address';
import { captureStack, type StackHolder } from '../attribution';
import { whenBuiltinLoaded } from '../builtin-watch';
import type { WardenBlockedError } from '../errors';
import { handleOwner, hookExport, hookMethod, inBypass, lock, rawBinding } from '../guard';
import { bindingOrClasses } from '../handle-classes';
import { check, reportFault } from '../report';
import { judgeFileAccess } from './fs';
import { dnsData, hookSocketWrites, udpData } from './outbound';

// Linux errno values (Lambda runs Linux; loading os only for these costs start-up time).
const UV_EACCES = -13;
const handleStacks = new WeakMap<object, StackHolder>();
const bindingNameOf: Record<string, string> = { TCP: 'tcp_wrap', UDP: 'udp_wrap' };

/**
 * Where Node refuses its bindings, the stack of whoever made a handle is kept by the public
 * call that makes it: `net.Socket#connect` (net, tls, http, https, fetch) makes the socket's
 * TCP or Pipe handle before it returns; `dgram.createSocket` makes a UDP handle.
 */
function rememberCreatorAtPublicApi(name: string): void {
  const keep = (handle: unknown, stack: StackHolder) => {
    if (handle && typeof handle === 'object' && !handleStacks.has(handle)) handleStacks.set(handle, stack);
  };
  if (name === 'TCP') {
    const net = require('node:net') as { Socket: { prototype: Record<string, unknown> } };
    hookExport(net.Socket.prototype, 'connect', (fn, socket, args) => {
      const stack = captureStack();
      try {
        return fn.apply(socket, args);
      } finally {
        keep((socket as { _handle?: unknown } | undefined)?._handle, stack);
      }
    });
  } else if (name === 'UDP') {
    const dgram = require('node:dgram') as Record<string, unknown>;
    hookExport(dgram, 'createSocket', (fn, self, args) => {
      const stack = captureStack();
      const socket = fn.apply(self, args) as object;
      const state = Object.getOwnPropertySymbols(socket).find((x) => x.description === 'state symbol');
      if (state) keep((socket as Record<symbol, { handle?: unknown }>)[state]?.handle, stack);
      return socket;
    });
  }
}
const udpConnected = new WeakMap<object, { ip?: string; port?: number }>();

/** Makes the next call of `method` on this one object carry our error instead of Node's. */
function swapNextError(
  target: Record<string, unknown>,
  method: 'destroy' | 'emit',
  err: WardenBlockedError,
): void {
  const orig = target[method] as Function;
  Object.defineProperty(target, method, {
    configurable: true,
    writable: true,
    value(this: unknown, ...args: unknown[]) {
      if (method === 'destroy' && args[0]) {
        delete target[method];
        args[0] = err;
      } else if (method === 'emit' && args[0] === 'error') {
        delete target[method];
        args[1] = err;
      }
      return orig.apply(this, args);
    },
  });
}

function judge(
  handle: object,
  protocol: 'tcp' | 'udp',
  op: 'connect' | 'send',
  address: unknown,
  port: unknown,
  api: string,
) {
  if (inBypass()) return undefined;
  const owner = handleOwner(handle);
  const ip = typeof address === 'string' ? (normalizeIp(address) ?? address) : undefined;
  const named = owner && typeof owner._host === 'string' ? owner._host : undefined;
  const ev: NetworkEvent = {
    surface: 'network',
    op,
    api,
    protocol,
    ip,
    host: named && normalizeIp(named) === undefined ? named.replace(/\.$/, '').toLowerCase() : ip,
    port: Number(port),
  };
  const err = check(ev, { stack: handleStacks.get(handle) });
  return err ? { err, owner } : undefined;
}

/** A UDP payload carrying credentials or a mining call: judged as a send with that data. */
function judgeUdpData(handle: object, buffers: unknown, address: unknown, port: unknown, api: string) {
  if (inBypass()) return undefined;
  let data: ReturnType<typeof udpData>;
  try {
    data = udpData(handle, buffers);
  } catch (e) {
    reportFault('network.send', e);
  }
  if (!data) return undefined;
  const ip = typeof address === 'string' ? (normalizeIp(address) ?? address) : undefined;
  const err = check(
    { surface: 'network', op: 'send', api, protocol: 'udp', ip, host: ip, port: Number(port), data },
    { stack: handleStacks.get(handle) },
  );
  return err ? { err, owner: handleOwner(handle) } : undefined;
}

/** Hooks a binding class's constructor to remember the stack of whoever created each handle. */
function rememberCreator(binding: Record<string, unknown>, name: string, onFirst?: () => void): void {
  if (binding !== rawBinding(bindingNameOf[name] ?? '')) {
    // Classes found from instances (the permission model): no constructor to hook. What the
    // first handle would have set up is set up now, and the creator's stack is kept by the
    // public API that makes the handle.
    onFirst?.();
    rememberCreatorAtPublicApi(name);
    return;
  }
  const Ctor = binding[name];
  if (typeof Ctor !== 'function') return;
  lock(
    binding,
    name,
    new Proxy(Ctor, {
      construct(t, args, newTarget) {
        if (onFirst) {
          try {
            onFirst();
          } catch {
            // the binding hooks still judge; only the error shape is lost
          }
        }
        const handle = Reflect.construct(t, args, newTarget) as object;
        try {
          handleStacks.set(handle, captureStack());
        } catch (e) {
          reportFault(`${name} attribution`, e); // judged at connect, attributed to <unknown>
        }
        return handle;
      },
    }),
  );
}

function hookTcp(): void {
  const tcp = bindingOrClasses('tcp_wrap') as
    | (Record<string, unknown> & { TCP?: { prototype: Record<string, unknown> } })
    | undefined;
  const proto = tcp?.TCP?.prototype;
  if (!tcp || !proto) return;
  for (const method of ['connect', 'connect6']) {
    hookMethod(
      proto,
      method,
      (fn, handle, args) => {
        const blocked = judge(handle as object, 'tcp', 'connect', args[1], args[2], `tcp_wrap.${method}`);
        if (blocked) {
          if (blocked.owner) swapNextError(blocked.owner, 'destroy', blocked.err);
          return UV_EACCES;
        }
        return fn.apply(handle, args);
      },
      { surface: 'network', op: 'connect', api: `tcp_wrap.${method}` },
    );
  }
  rememberCreator(tcp, 'TCP', hookSocketWrites);
  hookTcpListen(proto);
}

/**
 * A TCP server (`net.Server.listen`, http.createServer, a bind shell) accepts connections once
 * its handle's `listen` runs: judged there as `network.listen`, with where it is bound (the
 * handle's own address). Refused like Node refuses a listen: the server's 'error' carries
 * ERR_WARDEN_BLOCKED; a raw caller gets -EACCES.
 */
function hookTcpListen(proto: Record<string, unknown>): void {
  hookMethod(
    proto,
    'listen',
    (fn, handle, args) => {
      if (!inBypass()) {
        const bound: { address?: string; port?: number } = {};
        try {
          (handle as { getsockname?: (out: object) => number }).getsockname?.(bound);
        } catch {
          // not bound yet: judged without an address
        }
        const ip =
          typeof bound.address === 'string' ? (normalizeIp(bound.address) ?? bound.address) : undefined;
        const err = check({
          surface: 'network',
          op: 'listen',
          api: 'tcp_wrap.listen',
          protocol: 'tcp',
          ...(ip !== undefined ? { ip, host: ip } : {}),
          ...(typeof bound.port === 'number' ? { port: bound.port } : {}),
        });
        if (err) {
          const owner = handleOwner(handle as object);
          if (owner) swapNextError(owner, 'emit', err);
          return UV_EACCES;
        }
      }
      return fn.apply(handle, args);
    },
    { surface: 'network', op: 'listen', api: 'tcp_wrap.listen' },
  );
}

const blockedUdp = new WeakMap<object, WardenBlockedError>();
let dgramHooked = false;

/**
 * dgram reports a failed connect through the connect callback, called directly. Once a UDP
 * handle exists dgram is loaded (so hooking costs nothing at start-up): wrap its connect to
 * hand that callback our error.
 */
function hookDgramConnect(): void {
  if (dgramHooked) return;
  dgramHooked = true;
  const { Socket } = require('node:dgram') as typeof import('node:dgram');
  hookMethod(Socket.prototype, 'connect', (fn, socket, args) => {
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = function (this: unknown, err: unknown, ...rest: unknown[]) {
        const ours = err ? blockedUdp.get(socket as object) : undefined;
        if (ours) blockedUdp.delete(socket as object);
        return cb.call(this, ours ?? err, ...rest);
      };
    }
    return fn.apply(socket, args);
  });
}

function hookUdp(): void {
  const udp = bindingOrClasses('udp_wrap') as
    | (Record<string, unknown> & { UDP?: { prototype: Record<string, unknown> } })
    | undefined;
  const proto = udp?.UDP?.prototype;
  if (!udp || !proto) return;
  for (const method of ['connect', 'connect6']) {
    hookMethod(
      proto,
      method,
      (fn, handle, args) => {
        const blocked = judge(handle as object, 'udp', 'connect', args[0], args[1], `udp_wrap.${method}`);
        if (blocked) {
          if (blocked.owner) {
            blockedUdp.set(blocked.owner, blocked.err);
            swapNextError(blocked.owner, 'emit', blocked.err);
          }
          return UV_EACCES;
        }
        const r = fn.apply(handle, args);
        if (r === 0)
          udpConnected.set(handle as object, { ip: normalizeIp(String(args[0])), port: Number(args[1]) });
        return r;
      },
      { surface: 'network', op: 'connect', api: `udp_wrap.${method}` },
    );
  }
  for (const method of ['send', 'send6']) {
    hookMethod(
      proto,
      method,
      (fn, handle, args) => {
        // send(req, list, count, port, address, hasCallback), or on a connected socket send(req, list, count, hasCallback).
        const connected = args.length <= 4 ? udpConnected.get(handle as object) : undefined;
        const address = connected ? connected.ip : args[4];
        const port = connected ? connected.port : args[3];
        if (address !== undefined) {
          const blocked =
            judge(handle as object, 'udp', 'send', address, port, `udp_wrap.${method}`) ??
            judgeUdpData(handle as object, args[1], address, port, `udp_wrap.${method}`);
          if (blocked) {
            const req = args[0] as { callback?: Function } | undefined;
            if (typeof req?.callback === 'function') {
              const cb = req.callback;
              process.nextTick(() => cb(blocked.err));
              return 0;
            }
            return UV_EACCES; // no callback: dgram drops send errors, as it does for real ones
          }
        }
        return fn.apply(handle, args);
      },
      { surface: 'network', op: 'send', api: `udp_wrap.${method}` },
    );
  }
  rememberCreator(udp, 'UDP', hookDgramConnect);
}

function dnsEvent(host: unknown, api: string, rrtype: string): NetworkEvent | undefined {
  if (typeof host !== 'string' || !host) return undefined;
  // An IP literal needs no query, except a reverse lookup: its PTR name is what is sent.
  const name = rrtype === 'PTR' && normalizeIp(host) !== undefined ? reverseName(host) : host;
  if (!name || normalizeIp(name) !== undefined) return undefined;
  return {
    surface: 'network',
    op: 'dns',
    api,
    protocol: 'dns',
    host: name.replace(/\.$/, '').toLowerCase(),
    port: 53,
    rrtype,
  };
}

/** Fails a c-ares request the way a DNS failure reaches its caller: promise or callback. */
function failRequest(req: unknown, err: WardenBlockedError): boolean {
  const r = req as { reject?: Function; callback?: Function; hostname?: string } | undefined;
  (err as WardenBlockedError & { hostname?: string }).hostname = r?.hostname;
  if (typeof r?.reject === 'function') {
    const reject = r.reject;
    process.nextTick(() => reject(err));
    return true;
  }
  if (typeof r?.callback === 'function') {
    const cb = r.callback;
    process.nextTick(() => cb(err));
    return true;
  }
  return false;
}

/**
 * ChannelWrap methods that send nothing. Every other method is judged: `query*` and
 * `getHostByAddr` (Resolver#reverse) as the query they send, `setServers` as the UDP
 * destinations every later query goes to, and a method a later Node version adds as a query of
 * its name argument (see test/unit/node-api-inventory.test.mjs).
 */
const CHANNEL_LOCAL = new Set(['constructor', 'getServers', 'cancel', 'setLocalAddress']);

/** The servers a channel is given (`[family, ip, port]` triples): each a UDP destination. */
function judgeServers(servers: unknown): WardenBlockedError | undefined {
  if (!Array.isArray(servers)) return undefined;
  for (const s of servers) {
    if (!Array.isArray(s) || typeof s[1] !== 'string') continue;
    const ip = normalizeIp(s[1]) ?? s[1];
    const err = check({
      surface: 'network',
      op: 'connect',
      api: 'dns.setServers',
      protocol: 'udp',
      ip,
      host: ip,
      port: Number(s[2]) || 53,
    });
    if (err) return err;
  }
  return undefined;
}

function hookDns(): void {
  const cares = bindingOrClasses('cares_wrap') as
    | (Record<string, unknown> & { ChannelWrap?: { prototype: Record<string, unknown> } })
    | undefined;
  if (!cares) return;
  const guard =
    (api: string, nameIndex: number, rrtype: string) => (fn: Function, self: unknown, args: unknown[]) => {
      const ev = inBypass() ? undefined : dnsEvent(args[nameIndex], api, rrtype);
      if (ev?.host) {
        try {
          const data = dnsData(ev.host);
          if (data) ev.data = data;
        } catch (e) {
          reportFault('network.dns', e);
        }
      }
      const err = ev ? check(ev) : undefined;
      if (err) return failRequest(args[0], err) ? 0 : UV_EACCES;
      return fn.apply(self, args);
    };
  const site = (api: string) => ({ surface: 'network' as const, op: 'dns', api });
  if (typeof cares.getaddrinfo === 'function') {
    hookMethod(cares, 'getaddrinfo', guard('dns.lookup', 1, 'A/AAAA'), site('getaddrinfo'));
    // dns.lookupService: the system resolver's reverse lookup of the address.
    hookMethod(cares, 'getnameinfo', guard('dns.lookupService', 1, 'PTR'), site('getnameinfo'));
  } else {
    hookPublicLookups();
  }
  const channel = cares.ChannelWrap?.prototype;
  if (!channel) return;
  for (const key of Object.getOwnPropertyNames(channel)) {
    if (CHANNEL_LOCAL.has(key)) continue;
    if (key === 'setServers') {
      hookMethod(
        channel,
        key,
        (fn, self, args) => {
          const err = inBypass() ? undefined : judgeServers(args[0]);
          if (err) throw err;
          return fn.apply(self, args);
        },
        { surface: 'network', op: 'connect', api: 'setServers' },
      );
    } else if (key === 'getHostByAddr') {
      hookMethod(channel, key, guard('dns.reverse', 1, 'PTR'), site(key));
    } else if (typeof Object.getOwnPropertyDescriptor(channel, key)?.value === 'function') {
      const rrtype = key.startsWith('query') ? key.slice(5).toUpperCase() : key;
      const api = key.startsWith('query') ? `dns.resolve${key.slice(5)}` : `dns.${key}`;
      hookMethod(channel, key, guard(api, 1, rrtype), site(key));
    }
  }
}

/**
 * The system resolver where Node refuses its bindings (`getaddrinfo` and `getnameinfo` are
 * binding functions, with no instance to reach them from): `dns.lookup` (which net, http and
 * fetch call through the module, at call time), `dns.lookupService` and their promise forms,
 * judged at the call, with the caller's stack live.
 */
function hookPublicLookups(): void {
  const dns = require('node:dns') as Record<string, unknown> & { promises: Record<string, unknown> };
  const judgeLookup = (host: unknown, api: string, rrtype: string) => {
    if (inBypass()) return undefined;
    const ev = dnsEvent(host, api, rrtype);
    const err = ev ? check(ev) : undefined;
    if (err) (err as WardenBlockedError & { hostname?: unknown }).hostname = host;
    return err;
  };
  for (const [name, rrtype] of [
    ['lookup', 'A/AAAA'],
    ['lookupService', 'PTR'],
  ] as const) {
    const api = `dns.${name}`;
    const site = { surface: 'network' as const, op: 'dns', api };
    hookExport(
      dns,
      name,
      (fn, self, args) => {
        const err = judgeLookup(args[0], api, rrtype);
        const cb = args[args.length - 1];
        if (!err) return fn.apply(self, args);
        if (typeof cb !== 'function') throw err;
        process.nextTick(() => cb(err));
        return undefined;
      },
      site,
    );
    hookExport(
      dns.promises,
      name,
      (fn, self, args) => {
        const err = judgeLookup(args[0], api, rrtype);
        return err ? Promise.reject(err) : fn.apply(self, args);
      },
      site,
    );
  }
}

/**
 * A Unix domain socket (`net.connect({ path })`, an IPC client, raw `pipe_wrap` use): connecting
 * needs write permission on the socket file, and is judged as that write (the files policy).
 * An abstract socket (a leading NUL) has no file. Refused like a TCP connect: the socket's
 * 'error' carries ERR_WARDEN_BLOCKED.
 */
function hookPipe(): void {
  const pipe = bindingOrClasses('pipe_wrap') as { Pipe?: { prototype: Record<string, unknown> } } | undefined;
  const proto = pipe?.Pipe?.prototype;
  if (!proto) return;
  hookSocketFileWrite(proto, 'connect', 1, 'net.connect(path)', 'destroy');
  // A Unix socket server creates its socket file at bind: judged as that write.
  hookSocketFileWrite(proto, 'bind', 0, 'net.Server.listen(path)', 'emit');
}

/** `Pipe#<method>` judged as a write of the socket file its argument `at` names. */
function hookSocketFileWrite(
  proto: Record<string, unknown>,
  method: 'connect' | 'bind',
  at: number,
  api: string,
  errorVia: 'destroy' | 'emit',
): void {
  hookMethod(
    proto,
    method,
    (fn, handle, args) => {
      const address = args[at];
      if (typeof address === 'string' && address && !address.startsWith('\0')) {
        const err = judgeFileAccess(api, 'write', address);
        if (err) {
          const owner = handleOwner(handle as object);
          if (owner) swapNextError(owner, errorVia, err);
          return UV_EACCES;
        }
      }
      return fn.apply(handle, args);
    },
    { surface: 'files', op: 'write', api: `pipe_wrap.${method}` },
  );
}

export function installNetworkHooks(): void {
  hookTcp();
  hookPipe();
  // Where Node refuses the binding, the UDP class is found from a dgram socket: when dgram is
  // first loaded (the one maker of UDP handles), not at every cold start.
  if (rawBinding('udp_wrap')) hookUdp();
  else whenBuiltinLoaded('dgram', hookUdp);
  hookDns();
}
