/**
 * The fields a rule's condition can test, each with the surfaces it exists on and its type.
 * A field that does not apply to an event reads as undefined (and matches nothing but
 * `exists: false`). `warden rules list --fields` prints this table.
 */
import type { SensorEvent, Surface } from '../events/types';
import { isRuntimeApi, isShell } from '../policy/decide';
import { inFunctionDir } from '../policy/task-root';
import type { DetectContext } from './context';
import type { FieldValue } from './types';

export type FieldType = 'string' | 'number' | 'boolean' | 'string[]';

export interface FieldDef {
  type: FieldType;
  surfaces: Surface[] | 'all';
  doc: string;
  get(ev: SensorEvent, ctx: DetectContext): FieldValue;
}

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** Bits per character of a string (Shannon entropy). */
export function entropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** The longest label of a DNS name (the part most likely to carry data). */
function longestLabel(host: string): string {
  let best = '';
  for (const l of host.split('.')) if (l.length > best.length) best = l;
  return best;
}

const AWS_ENDPOINT = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/;

/** A host name of AWS's own service endpoints (not a customer's `*.on.aws` function URL). */
export function isAwsEndpoint(host: string | undefined): boolean {
  return host !== undefined && AWS_ENDPOINT.test(host.toLowerCase().replace(/\.$/, ''));
}

export { inFunctionDir };

/** A shell started with no command string and no script: it reads commands from stdin. */
function interactiveShell(ev: SensorEvent): boolean {
  if (ev.surface !== 'process' || ev.op !== 'spawn' || !isShell(ev.exe)) return false;
  if (ev.observed?.script) return false;
  const args = ev.argv.slice(1);
  if (args.some((a) => /^-[A-Za-z]*c/.test(a))) return false;
  return !args.some((a) => !a.startsWith('-')) || args.includes('-i');
}

/** A field of one surface: its getter sees only that surface's events (others read undefined). */
function on<S extends Surface>(surface: S) {
  return <T extends FieldValue>(
    doc: string,
    type: FieldType,
    get: (ev: Extract<SensorEvent, { surface: S }>, ctx: DetectContext) => T,
  ): FieldDef => ({
    type,
    surfaces: [surface],
    doc,
    get: (ev, ctx) =>
      ev.surface === surface ? get(ev as Extract<SensorEvent, { surface: S }>, ctx) : undefined,
  });
}
const proc = on('process');
const net = on('network');
const file = on('files');

export const FIELDS: Readonly<Record<string, FieldDef>> = {
  surface: {
    type: 'string',
    surfaces: 'all',
    doc: 'process, network, files, code, secrets',
    get: (ev) => ev.surface,
  },
  op: {
    type: 'string',
    surfaces: 'all',
    doc: 'spawn, kill, connect, send, dns, read, write, exec, eval, function, vm, wasm, native, module, worker, enumerate',
    get: (ev) => ev.op,
  },
  api: {
    type: 'string',
    surfaces: 'all',
    doc: 'the API that made the call (`spawn_sync`, `tcp_wrap.connect`, `readFileUtf8` …)',
    get: (ev) => ev.api,
  },
  layer: {
    type: 'string',
    surfaces: 'all',
    doc: '`sensor` (the hooks, in the process), `watcher` (the in-process thread that watches /proc) or `extension` (the opt-in external extension)',
    get: (_ev, ctx) => ctx.layer,
  },
  package: {
    type: 'string',
    surfaces: 'all',
    doc: 'the npm package that made the call, `<function>` or `<runtime>` (`<outside>` for the extension)',
    get: (_ev, ctx) => ctx.packageOf(),
  },
  'package.read_credentials': {
    type: 'boolean',
    surfaces: 'all',
    doc: 'the package read an AWS credential variable earlier in this process',
    get: (_ev, ctx) =>
      ctx.state.credentialReaders.size > 0 && ctx.state.credentialReaders.has(ctx.packageOf()),
  },

  'process.exe': proc('executable, resolved against PATH', 'string', (ev) => ev.exe),
  'process.name': proc("the executable's file name (`sh`, `curl`)", 'string', (ev) => base(ev.exe)),
  'process.real_exe': proc('the executable with symlinks resolved', 'string', (ev) => ev.realExe ?? ev.exe),
  'process.argv': proc('all arguments, argv[0] included', 'string[]', (ev) => ev.argv),
  'process.args': proc('arguments after argv[0], joined by spaces', 'string', (ev) =>
    ev.argv.slice(1).join(' '),
  ),
  'process.is_shell': proc('the executable is a shell', 'boolean', (ev) => isShell(ev.exe)),
  'process.runtime_node': proc(
    "the executable is the Node binary running the function (Lambda's /var/lang/bin/node; the sandbox's Node wherever it is installed)",
    'boolean',
    (ev) => ev.exe === process.execPath || ev.realExe === process.execPath,
  ),
  'process.interactive_shell': proc(
    'a shell with neither `-c` nor a script: it reads commands from its stdin',
    'boolean',
    (ev) => interactiveShell(ev),
  ),
  'process.shell_script': proc(
    'the string a shell runs (`sh -c …`, `shell: true`)',
    'string',
    (ev) => ev.shellScript,
  ),
  'process.shell_commands': proc('names of the commands inside the shell string', 'string[]', (ev) =>
    ev.shellCommands?.map((c) => base(c.exe ?? c.name)),
  ),
  'process.names': proc(
    'the executable and every command inside its shell string, by file name',
    'string[]',
    (ev) => [
      base(ev.exe),
      ...(ev.realExe ? [base(ev.realExe)] : []),
      ...(ev.shellCommands?.map((c) => base(c.exe ?? c.name)) ?? []),
    ],
  ),
  'process.command_lines': proc(
    'the command line, and every command line inside its shell string',
    'string[]',
    (ev) => [
      ev.argv.join(' '),
      ...(ev.shellCommands?.map((c) => [base(c.exe ?? c.name), ...c.argv.slice(1)].join(' ')) ?? []),
    ],
  ),
  'process.parent_name': proc("the parent's executable file name", 'string', (ev) =>
    ev.parentExe?.[0] ? base(ev.parentExe[0]) : undefined,
  ),
  'process.stdio': proc(
    "what stdin, stdout, stderr are: socket (TCP or UDP), unix, pipe, inherit (the parent's own), ignore, file, tty (shells only)",
    'string[]',
    (ev) => ev.stdio,
  ),
  'process.stdin': proc(
    'what stdin is (as process.stdio): `socket` when it reads from the network',
    'string',
    (ev) => ev.stdio?.[0],
  ),
  'process.fileless': proc(
    '`memfd` or `deleted`: the executable is not a file on disk (extension)',
    'string',
    (ev) => ev.observed?.fileless,
  ),
  'process.dropped': proc(
    "the executable or script was written during this sandbox's life (extension: by anyone; sensor: by this process)",
    'boolean',
    (ev, ctx) =>
      ev.observed?.dropped !== undefined ||
      ctx.state.written.has(ev.exe) ||
      (ev.realExe !== undefined && ctx.state.written.has(ev.realExe)),
  ),
  'process.script': proc(
    'the script file an interpreter runs (extension)',
    'string',
    (ev) => ev.observed?.script,
  ),
  'process.pid': proc('target pid of a kill', 'number', (ev) => ev.pid),

  'network.host': net('host as the code named it', 'string', (ev) => ev.host),
  'network.ip': net('IP connected (normalized)', 'string', (ev) => ev.ip),
  'network.port': net('destination port', 'number', (ev) => ev.port),
  'network.protocol': net('tcp, udp or dns', 'string', (ev) => ev.protocol),
  'network.runtime_api': net(
    'the destination is the Lambda Runtime API (a listener on its address is not a call to it)',
    'boolean',
    (ev, ctx) => ev.op !== 'listen' && isRuntimeApi(ctx.policy, ev),
  ),
  'network.aws_endpoint': net(
    "the host is one of AWS's service endpoints (`*.amazonaws.com`, `*.api.aws`)",
    'boolean',
    (ev) => isAwsEndpoint(ev.host),
  ),
  'network.dns_label_length': net('length of the longest label of the name queried', 'number', (ev) =>
    ev.op === 'dns' && ev.host ? longestLabel(ev.host).length : undefined,
  ),
  'network.dns_label_entropy': net('bits per character of that label', 'number', (ev) =>
    ev.op === 'dns' && ev.host ? entropy(longestLabel(ev.host)) : undefined,
  ),
  'network.dns_name_length': net('length of the whole name queried', 'number', (ev) =>
    ev.op === 'dns' && ev.host ? ev.host.length : undefined,
  ),
  'network.data.credential': net(
    'a credential variable whose value the outbound data carries',
    'string',
    (ev) => ev.data?.credential?.name,
  ),
  'network.data.encoding': net(
    'how it was encoded: plain, base64, hex, url …',
    'string',
    (ev) => ev.data?.credential?.encoding,
  ),
  'network.data.stratum': net(
    'the Stratum mining method the data called',
    'string',
    (ev) => ev.data?.stratum,
  ),
  'network.owner': net(
    'the command line of the process holding the socket (extension)',
    'string',
    (ev) => ev.owner?.cmdline,
  ),

  'file.path': file('absolute, resolved path', 'string', (ev) => ev.path),
  'file.requested': file('path as the caller gave it', 'string', (ev) => ev.requested),
  'file.loader': file(
    "Node's module loader reads it (require / import)",
    'boolean',
    (ev, ctx) => ev.loader === true || (ev.loader === undefined && ctx.loaderRead?.() === true),
  ),
  'file.in_task_root': file(
    "the path is in the function's directory (LAMBDA_TASK_ROOT), outside node_modules",
    'boolean',
    (ev, ctx) => inFunctionDir(ev.path, ctx.policy.taskRoot()),
  ),

  'code.target': {
    type: 'string',
    surfaces: ['code'],
    doc: 'source excerpt, module id, addon path or worker script',
    get: (ev) => (ev.surface === 'code' ? ev.target : undefined),
  },
  'secret.name': {
    type: 'string',
    surfaces: ['secrets'],
    doc: 'the variable read',
    get: (ev) => (ev.surface === 'secrets' ? ev.name : undefined),
  },
};
