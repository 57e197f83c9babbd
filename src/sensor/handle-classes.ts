/**
 * Node's handle classes when `process.binding` is refused (the permission model): the
 * prototypes of `TCP`, `Pipe`, `UDP`, `Process` and c-ares' `ChannelWrap` are the ones the
 * public modules' own instances carry, so they are reached from an instance: a socket whose
 * `connect` fails its argument checks after creating its handle and before any system call,
 * a UDP socket never bound, a ChildProcess never spawned, a Resolver. Hooking these prototypes
 * is hooking what `process.binding` would have handed out (net, tls, http, fetch, dgram,
 * child_process and dns all call them). What only a binding object holds (its functions:
 * `fs.*`, `spawn_sync.spawn`, `cares_wrap.getaddrinfo`) has no instance: those surfaces are
 * hooked at their public API instead (hooks/fs-exports.ts, and in hooks/process.ts and
 * hooks/network.ts).
 */

import { rawBinding } from './guard';

type Proto = Record<string, unknown>;
type ClassBinding = Record<string, { prototype: Proto }>;

function protoOf(handle: unknown): Proto | undefined {
  return handle && typeof handle === 'object' ? (Object.getPrototypeOf(handle) as Proto) : undefined;
}

/** A net.Socket's handle, made by a `connect` that then throws before any system call. */
function socketHandle(options: object): Proto | undefined {
  const net = require('node:net') as typeof import('node:net');
  const socket = new net.Socket();
  try {
    socket.connect(options as import('node:net').SocketConnectOpts);
  } catch {
    // the argument check this relies on: the handle exists, nothing was opened
  }
  const proto = protoOf((socket as unknown as { _handle?: unknown })._handle);
  socket.destroy();
  return proto;
}

const finders: Record<string, () => ClassBinding | undefined> = {
  tcp_wrap() {
    // A local port that is not a number is refused after the handle is made and before the
    // lookup (an invalid local address would be too, after compiling Node's IP regexes: 3 ms).
    const proto = socketHandle({ port: 1, host: '127.0.0.1', localPort: 'none' });
    return proto ? { TCP: { prototype: proto } } : undefined;
  },
  pipe_wrap() {
    // A path that is not a string is refused after the Pipe is made.
    const proto = socketHandle({ path: 1 });
    return proto ? { Pipe: { prototype: proto } } : undefined;
  },
  udp_wrap() {
    const dgram = require('node:dgram') as typeof import('node:dgram');
    const socket = dgram.createSocket('udp4');
    const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
    const proto = protoOf(
      state ? (socket as unknown as Record<symbol, { handle?: unknown }>)[state]?.handle : undefined,
    );
    socket.close();
    return proto ? { UDP: { prototype: proto } } : undefined;
  },
  process_wrap() {
    const { ChildProcess } = require('node:child_process') as typeof import('node:child_process');
    const proto = protoOf((new ChildProcess() as unknown as { _handle?: unknown })._handle);
    return proto ? { Process: { prototype: proto } } : undefined;
  },
  cares_wrap() {
    const { Resolver } = require('node:dns') as typeof import('node:dns');
    const proto = protoOf((new Resolver() as unknown as { _handle?: unknown })._handle);
    return proto ? { ChannelWrap: { prototype: proto } } : undefined;
  },
};

const found = new Map<string, ClassBinding | undefined>();

/**
 * The classes of binding `name` as `process.binding(name)` would name them (`{ TCP: {
 * prototype } }`), found from instances. Undefined for a binding with no instance to find
 * them from, or where a Node version changed what the finder relies on.
 */
export function handleClasses(name: string): ClassBinding | undefined {
  if (found.has(name)) return found.get(name);
  let classes: ClassBinding | undefined;
  try {
    classes = finders[name]?.();
  } catch {
    classes = undefined;
  }
  found.set(name, classes);
  return classes;
}

/** `process.binding(name)`, or where Node refuses it, the binding's classes (`handleClasses`). */
export function bindingOrClasses(name: string): Record<string, unknown> | undefined {
  return rawBinding(name) ?? handleClasses(name);
}
