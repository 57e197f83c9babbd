/**
 * The one shared vocabulary: what a hook saw (SensorEvent) and what the engine decided (Verdict).
 * Hooks build events, pure functions decide verdicts, `ocsf.ts` maps both to a finding.
 */

export type Surface = 'process' | 'network' | 'files' | 'code' | 'secrets' | 'sensor';

export interface ShellCommand {
  /** Command name as written (`curl`, `/tmp/x`, `$(…)` when not static). */
  name: string;
  /** The name resolved against PATH, when it is static and found. */
  exe?: string;
  argv: string[];
}

export interface ProcessEvent {
  surface: 'process';
  /** spawn (child_process / process_wrap / spawn_sync) or kill (process.kill / process._kill). */
  op: 'spawn' | 'kill';
  /** Which API path produced it, e.g. `child_process`, `binding:spawn_sync`. */
  api: string;
  /** Executable as given by the caller (`sh`, `/bin/sh`, `./x`). */
  file: string;
  /** Executable resolved against PATH where it could be (absolute, symlinks kept). */
  exe: string;
  /** The executable with symlinks resolved, when it differs from `exe`. */
  realExe?: string;
  argv: string[];
  cwd?: string;
  /** For a shell (`sh -c`, `bash -c`, `shell: true`): the simple commands inside the shell string. */
  shellCommands?: ShellCommand[];
  /** Shell string when one was parsed. */
  shellScript?: string;
  /**
   * Why the commands inside the shell string or wrapper could not be read. Such a process never
   * matches an allow rule: it gets the policy's default for processes.
   */
  unparsed?: string;
  /** Target pid and signal for `kill`. */
  pid?: number;
  signal?: string | number;
  /** The parent's executable (and its real path): the spawning process, or the parent seen in /proc. */
  parentExe?: string[];
  /** Set when the extension saw the process in /proc (it exists, unlike a spawn being judged). */
  observed?: ObservedProcess;
  /** What the child's stdin, stdout and stderr are, when known: `pipe`, `socket`, `inherit`, `ignore`, `file`, `tty`. */
  stdio?: string[];
}

/** A file that appeared in a watched temp dir during this sandbox's life. */
export interface DroppedFile {
  path: string;
  size: number;
  sha256?: string;
  /** When it was first noted (ms since the epoch). */
  noticedAt: number;
  /** The process that held it open when it was noted: `pid exe`. */
  writer?: string;
}

export interface ObservedProcess {
  pid: number;
  ppid: number;
  /** Ancestors up to the runtime, nearest first: `pid cmdline`. */
  lineage: string[];
  /** The executable was deleted after exec, or is an anonymous memory file (memfd). */
  fileless?: 'deleted' | 'memfd';
  /** The executable (or script) was written during this sandbox's life. */
  dropped?: DroppedFile;
  /** The script an interpreter runs (`sh /tmp/x.sh`, `python3 x.py`), when there is one. */
  script?: string;
  /** Process start (from /proc, 10 ms resolution), first seen, and killed (ms since the epoch). */
  startedAt?: number;
  seenAt: number;
  killedAt?: number;
  /** pids signalled, children first. */
  killed?: number[];
}

export interface NetworkEvent {
  surface: 'network';
  /** Set when the extension saw the socket in the kernel's tables: its owner. */
  owner?: { pid: number; cmdline: string; killed?: number[] };
  /** `listen`: a TCP server socket accepting connections (ip/port: where it listens). */
  op: 'connect' | 'send' | 'dns' | 'listen';
  api: string;
  protocol: 'tcp' | 'udp' | 'dns';
  /** The destination as the code named it (hostname or IP literal), when known. */
  host?: string;
  /** Normalized IP actually connected (IPv4-mapped IPv6 and numeric forms folded). */
  ip?: string;
  port?: number;
  /** DNS record type for op=dns. */
  rrtype?: string;
  /** For op=send: what the outbound data held (only sent as an event when it held something). */
  data?: OutboundData;
}

/** What a scan of outbound bytes found (socket writes, HTTP requests, UDP payloads, DNS names). */
export interface OutboundData {
  bytes: number;
  /** A credential value of the function's own, in some encoding. */
  credential?: { name: string; encoding: string };
  /** A Stratum (mining pool) method the data called. */
  stratum?: string;
}

export type FileOp = 'read' | 'write' | 'exec';

export interface FileEvent {
  surface: 'files';
  op: FileOp;
  /** The binding call, e.g. `open`, `rename`, `readFileUtf8`. */
  api: string;
  /** Path as the caller gave it. */
  requested: string;
  /** Absolute, `..`-free, symlink-resolved path that the check used. */
  path: string;
  flags?: number;
  /** Node's module loader reading code for require / import (known when the stack was taken). */
  loader?: boolean;
}

export interface CodeEvent {
  surface: 'code';
  op: 'eval' | 'function' | 'vm' | 'wasm' | 'native' | 'module' | 'worker' | 'inspector';
  api: string;
  /** Source excerpt for generated code, module id, addon path or worker script. */
  target: string;
  /** Full length of generated code, when it was cut. */
  length?: number;
}

export interface SecretEvent {
  surface: 'secrets';
  op: 'read' | 'enumerate';
  api: string;
  name: string;
}

export interface SensorFaultEvent {
  surface: 'sensor';
  op: 'fault' | 'policy-error' | 'startup' | 'tamper' | 'volume';
  api: string;
  message: string;
  count?: number;
}

export type SensorEvent =
  | ProcessEvent
  | NetworkEvent
  | FileEvent
  | CodeEvent
  | SecretEvent
  | SensorFaultEvent;

/** What a rule asks for. `deny` blocks in enforce mode and is reported as a detection in monitor mode. */
export type RuleAction = 'allow' | 'alert' | 'deny';

export interface Attack {
  tactic: { uid: string; name: string };
  technique: { uid: string; name: string };
}

export interface Verdict {
  action: RuleAction;
  /** Stable rule id: `analytic.uid` in the finding. */
  ruleId: string;
  title: string;
  /** 1 informational … 5 critical (OCSF severity_id). */
  severity: 1 | 2 | 3 | 4 | 5;
  attacks: Attack[];
  /** Human reason, ends up in finding_info.desc. */
  reason: string;
  /** No entry matched: the list's default decided (not an explicit alert or deny entry). */
  byDefault?: boolean;
  /** Set for a deviation from a learned baseline: what the baseline was and what differed. */
  anomaly?: Anomaly;
  /** The rule asks for the process to be killed (the extension's enforcement). */
  kill?: boolean;
  /** An injection detector's evidence: which part of the invocation's event reached the call. */
  input?: TaintEvidence;
}

/** The attacker-controllable input a detector traced into a call. */
export interface TaintEvidence {
  /** Trigger of the invocation: `apigateway-rest`, `sqs`, `direct` … */
  trigger: string;
  /** Where in the event: `body.file`, `Records[0].s3.object.key` … */
  source: string;
  /** The value (cut to 256 characters). */
  value: string;
  /** What it did to the call, in a few words. */
  effect: string;
}

export interface Anomaly {
  /** What was analysed: an npm package, or the function. */
  target: { name: string; type: 'npm package' | 'function' };
  /** The behaviour compared, e.g. `process.spawn`, `capability.network`. */
  parameter: string;
  baseline: string;
  observed: string;
}

export interface Attribution {
  /** npm package name, `<function>` or `<runtime>`. */
  package: string;
  /** Distinct packages on the stack, innermost first. */
  chain: string[];
  /** Formatted frames, innermost first. */
  stack: string[];
  /**
   * The packages `package` acted for: the others on the stack down to the function's own code
   * (or the runtime's), innermost first. Absent when the function called `package` directly.
   */
  deputies?: string[];
}

export interface InvocationContext {
  requestId: string;
  functionArn?: string;
  event?: unknown;
  startTime?: number;
}
