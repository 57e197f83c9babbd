import type { RuleAction } from '../events/types';

export type Mode = 'monitor' | 'enforce';

/** One entry of an allow / alert / deny list. Fields present must all match. */
export interface ProcessRule {
  id?: string;
  /** Glob on the executable: absolute glob (`/usr/bin/*`) or a bare name (`curl`) matched on the basename. */
  exe?: string;
  /** Glob on the arguments after argv[0], joined by single spaces. */
  args?: string;
  /**
   * One glob per argument after argv[0], and exactly that many arguments. In these globs `*`
   * matches any characters of one argument, `/` included (what `warden learn` writes).
   */
  argv?: string[];
  /**
   * Glob on the executable of the parent process (absolute, or a bare name matched on the
   * basename): `sleep` allowed only when a shell started it. A rule with `parent` does not match
   * when the parent is not known.
   */
  parent?: string;
}

export interface NetworkRule {
  id?: string;
  /** Glob on the host name as the code named it (`*.amazonaws.com`), or an IP. */
  host?: string;
  /** CIDR on the IP actually connected (`10.0.0.0/8`, `::1/128`). */
  cidr?: string;
  /** Port, list of ports, or `"from-to"` range. */
  port?: number | number[] | string;
  protocol?: 'tcp' | 'udp' | 'dns';
}

export interface PathRule {
  id?: string;
  path: string;
}

export interface RuleList<T> {
  default: RuleAction;
  allow: T[];
  alert: T[];
  deny: T[];
}

export type Capability =
  | 'process'
  | 'network'
  | 'fs'
  | 'fs-read'
  | 'fs-write'
  | 'code'
  | 'native'
  | 'workers'
  | 'secrets';

export interface Policy {
  version: 1;
  mode: Mode;
  /** On a sensor fault: false (default) lets the call through, true blocks it. */
  failClosed: boolean;
  /**
   * Run the function under Node's permission model too (flags computed at layer build, added by
   * the layer's wrapper): `auto` (the default) where the policy enforces a hard denial Node can
   * express and the runtime's Node has a stable model (22 and 24); `true` on every runtime
   * (Node 20's is experimental); `false` never.
   */
  nodePermissions: boolean | 'auto';
  /** What to do when the policy file cannot be loaded. */
  onPolicyError: 'default-monitor' | 'default-enforce' | 'deny-all';
  process: RuleList<ProcessRule> & {
    /** `process.kill` of a process that is neither this one nor one of its children. */
    kill: RuleAction;
  };
  network: RuleList<NetworkRule> & {
    /** Connections from function code (not the runtime) to `AWS_LAMBDA_RUNTIME_API`. */
    runtimeApi: RuleAction;
    /** Listening for inbound TCP connections (`net.Server.listen` and anything that reaches `TCP#listen`). */
    listen: RuleAction;
  };
  files: { read: RuleList<PathRule>; write: RuleList<PathRule>; exec: RuleList<PathRule> };
  code: {
    eval: RuleAction;
    wasm: RuleAction;
    workers: RuleAction;
    /** The inspector: sessions (Runtime.evaluate, reading any object), opening it to a debugger. */
    inspector: RuleAction;
    nativeAddons: RuleList<PathRule>;
    modules: RuleList<{ id?: string; name: string }>;
  };
  secrets: RuleList<string> & { names: string[] };
  /** Per-package capabilities: a listed package may only use what its list names. */
  packages: Record<string, Capability[]>;
  /**
   * Set by `warden learn`: the policy is a baseline of what the function did, so whatever it
   * does not allow is reported as a deviation from that baseline.
   */
  learned?: LearnedFrom;
}

export interface LearnedFrom {
  /** Invocations the baseline saw. */
  invocations: number;
  /** Distinct observations it was built from. */
  observations: number;
}
