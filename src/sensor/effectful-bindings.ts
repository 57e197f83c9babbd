/**
 * The bindings `process.binding` hands out (Node's allow-list) whose effect is a file, a socket,
 * a process, code, memory or the environment (docs/node-api-inventory.yaml; a test checks the
 * two agree on the running Node).
 */
export const EFFECTFUL_BINDINGS: ReadonlySet<string> = new Set([
  'cares_wrap',
  'contextify',
  'crypto',
  'fs',
  'fs_event_wrap',
  'inspector',
  'os',
  'pipe_wrap',
  'process_wrap',
  'spawn_sync',
  'tcp_wrap',
  'udp_wrap',
  'v8',
]);
