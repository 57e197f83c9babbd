import type { Policy } from './types';

/**
 * The built-in policy: safe to enforce on a typical function. Denies process spawns, reads of
 * process environments and memory, writes outside /tmp, function code reaching the Runtime API
 * or the instance metadata endpoints, and native addons loaded from writable temp dirs.
 * Everything else is allowed; everything denied is reported.
 */
export function defaultPolicy(): Policy {
  return {
    version: 1,
    mode: 'monitor',
    failClosed: false,
    nodePermissions: 'auto',
    onPolicyError: 'default-monitor',
    process: { default: 'deny', allow: [], alert: [], deny: [], kill: 'deny' },
    network: {
      default: 'allow',
      allow: [],
      alert: [],
      deny: [
        { id: 'imds', cidr: '169.254.169.254/32' },
        { id: 'imds', cidr: 'fd00:ec2::254/128' },
        { id: 'container-credentials', cidr: '169.254.170.2/32' },
      ],
      runtimeApi: 'deny',
      // Lambda gives a function no inbound path; a learned policy denies what it never saw.
      listen: 'allow',
    },
    files: {
      read: {
        default: 'allow',
        allow: [],
        alert: [],
        deny: [{ path: '/proc/**/environ' }, { path: '/proc/**/mem' }],
      },
      write: {
        default: 'deny',
        allow: [
          { path: '/tmp' },
          { path: '/tmp/**' },
          { path: '/dev/null' },
          { path: '/dev/stdout' },
          { path: '/dev/stderr' },
        ],
        alert: [],
        deny: [],
      },
      exec: { default: 'allow', allow: [], alert: [], deny: [{ path: '/tmp/**' }, { path: '/dev/shm/**' }] },
    },
    code: {
      eval: 'allow',
      wasm: 'allow',
      workers: 'allow',
      // It runs code and reads any object, the sensor's hooks and the real environment included.
      inspector: 'deny',
      nativeAddons: {
        default: 'allow',
        allow: [],
        alert: [],
        deny: [{ path: '/tmp/**' }, { path: '/dev/shm/**' }],
      },
      modules: { default: 'allow', allow: [], alert: [], deny: [] },
    },
    secrets: { default: 'allow', allow: [], alert: [], deny: [], names: [] },
    packages: {},
  };
}
