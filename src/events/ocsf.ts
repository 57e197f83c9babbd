/**
 * The one module that maps a verdict to OCSF: a Detection Finding (class 2004, OCSF 1.x) per
 * finding, with the Security Control and Cloud profiles (action, disposition, cloud).
 */
import type { Anomaly, Attribution, SensorEvent, Verdict } from './types';

export const OCSF_VERSION = '1.5.0';
const MITRE_VERSION = 'v16';

export interface FunctionResource {
  arn: string;
  name: string;
  version?: string;
  region?: string;
}

export interface FindingInput {
  uid: string;
  event: SensorEvent;
  verdict: Verdict;
  /** True when the call was stopped (enforce mode and a deny verdict). */
  blocked: boolean;
  mode: 'monitor' | 'enforce';
  attribution?: Attribution;
  requestId?: string;
  resource: FunctionResource;
  product: { name: string; version: string };
  time: number;
  /** How many identical events this finding stands for (1 on create). */
  count: number;
  /** 1 Create, 2 Update (the count of an already reported finding grew). */
  activityId: 1 | 2;
  firstSeen: number;
  pid: number;
  /** Which Warden layer made it (default: the in-process sensor). */
  layer?: 'sensor' | 'watcher' | 'extension';
  /** The process was killed (the watcher's or the extension's enforcement), rather than the call refused. */
  killed?: boolean;
  /**
   * Past the per-invocation budget of distinct findings: this one stands for every further
   * occurrence of its rule by its package (whatever the subject), counted.
   */
  aggregated?: { budget: number };
}

export type OcsfObject = Record<string, unknown>;

function evidenceOf(ev: SensorEvent, pid: number): OcsfObject {
  switch (ev.surface) {
    case 'process': {
      if (ev.op === 'kill') {
        return { process: { pid: ev.pid }, data: { signal: ev.signal, api: ev.api } };
      }
      const name = ev.exe.slice(ev.exe.lastIndexOf('/') + 1) || ev.exe;
      const seen = ev.observed;
      const dropped = seen?.dropped;
      return {
        process: {
          name,
          cmd_line: cap(ev.argv.map(quoteArg).join(' ')),
          file: {
            name,
            path: ev.exe,
            type_id: 1,
            ...(dropped?.sha256 && dropped.path === ev.exe
              ? { hashes: [{ algorithm_id: 3, algorithm: 'SHA-256', value: dropped.sha256 }] }
              : {}),
          },
          ...(seen ? { pid: seen.pid } : {}),
          parent_process: { pid: seen ? seen.ppid : pid },
          ...(seen ? { lineage: seen.lineage.map(cap) } : {}),
          ...(seen?.startedAt ? { created_time: Math.round(seen.startedAt) } : {}),
          ...(ev.cwd ? { working_directory: ev.cwd } : {}),
        },
        ...(dropped && dropped.path !== ev.exe
          ? {
              file: {
                name: dropped.path.slice(dropped.path.lastIndexOf('/') + 1),
                path: dropped.path,
                type_id: 1,
                ...(dropped.sha256
                  ? { hashes: [{ algorithm_id: 3, algorithm: 'SHA-256', value: dropped.sha256 }] }
                  : {}),
              },
            }
          : {}),
        data: {
          api: ev.api,
          ...(ev.realExe ? { real_exe: ev.realExe } : {}),
          ...(seen && ev.parentExe?.length ? { parent_exe: ev.parentExe } : {}),
          ...(ev.shellCommands
            ? { shell_commands: ev.shellCommands.map((c) => c.argv.map(quoteArg).join(' ')) }
            : {}),
          ...(seen
            ? {
                seen_at: seen.seenAt,
                ...(seen.fileless ? { fileless: seen.fileless } : {}),
                ...(seen.script ? { script: seen.script } : {}),
                ...(dropped
                  ? {
                      dropped: {
                        path: dropped.path,
                        size: dropped.size,
                        noticed_at: dropped.noticedAt,
                        ...(dropped.writer ? { writer: dropped.writer } : {}),
                      },
                    }
                  : {}),
                ...(seen.killed
                  ? {
                      killed_pids: seen.killed,
                      killed_at: seen.killedAt,
                      ...(seen.startedAt && seen.killedAt
                        ? { start_to_kill_ms: Math.round((seen.killedAt - seen.startedAt) * 10) / 10 }
                        : {}),
                    }
                  : {}),
              }
            : {}),
        },
      };
    }
    case 'network':
      return {
        dst_endpoint: {
          ...(ev.ip ? { ip: ev.ip } : {}),
          ...(ev.port !== undefined ? { port: ev.port } : {}),
          ...(ev.host && ev.host !== ev.ip ? { hostname: ev.host } : {}),
        },
        ...(ev.op === 'dns' ? { query: { hostname: ev.host, type: ev.rrtype ?? 'A' } } : {}),
        ...(ev.owner
          ? {
              process: {
                pid: ev.owner.pid,
                cmd_line: cap(ev.owner.cmdline),
                name: ev.owner.cmdline.split(' ')[0]?.split('/').pop() ?? '',
              },
            }
          : {}),
        data: {
          api: ev.api,
          protocol: ev.protocol,
          op: ev.op,
          ...(ev.owner?.killed ? { killed_pids: ev.owner.killed } : {}),
        },
      };
    case 'files':
      return {
        file: { name: ev.path.slice(ev.path.lastIndexOf('/') + 1) || ev.path, path: ev.path, type_id: 1 },
        data: { api: ev.api, op: ev.op, requested: ev.requested, ...(ev.loader ? { loader: true } : {}) },
      };
    case 'code':
      if (ev.op === 'native' || ev.op === 'module') {
        return {
          file: {
            name: ev.target.slice(ev.target.lastIndexOf('/') + 1) || ev.target,
            path: ev.target,
            type_id: 1,
          },
          data: { api: ev.api, op: ev.op },
        };
      }
      return {
        script: { script_content: ev.target, type_id: 99, type: 'JavaScript' },
        data: { api: ev.api, op: ev.op, length: ev.length },
      };
    case 'secrets':
      return { data: { api: ev.api, variable: ev.name } };
    case 'sensor':
      return { data: { api: ev.api, message: ev.message } };
  }
}

/** Evidence strings are bounded: a finding line stays small whatever the attacker passes. */
const MAX_EVIDENCE = 4096;
function cap(text: string): string {
  return text.length > MAX_EVIDENCE ? `${text.slice(0, MAX_EVIDENCE)}…(${text.length} chars)` : text;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** A deviation from a learned baseline: what was analysed, the baseline, and what differed. */
function anomalyAnalysis(a: Anomaly): OcsfObject {
  const type = 'Behavioral Baseline';
  return {
    analysis_targets: [{ name: a.target.name, type: a.target.type }],
    baselines: [
      {
        observation_parameter: a.parameter,
        observation_type: type,
        observed_pattern: cap(a.baseline),
        observations: [{ value: cap(a.baseline) }],
      },
    ],
    anomalies: [
      {
        observation_parameter: a.parameter,
        observation_type: type,
        observed_pattern: cap(a.observed),
        observations: [{ value: cap(a.observed), count: 1 }],
      },
    ],
  };
}

export function toFinding(input: FindingInput): OcsfObject {
  const { verdict, event, blocked } = input;
  const denied = verdict.action === 'deny';
  const actionId = blocked ? 2 : 1;
  const dispositionId = blocked ? 2 : denied ? 15 : 19;
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: input.activityId,
    activity_name: input.activityId === 1 ? 'Create' : 'Update',
    type_uid: 200400 + input.activityId,
    type_name: `Detection Finding: ${input.activityId === 1 ? 'Create' : 'Update'}`,
    time: input.time,
    severity_id: verdict.severity,
    severity: ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'][verdict.severity],
    action_id: actionId,
    action: actionId === 2 ? 'Denied' : 'Allowed',
    disposition_id: dispositionId,
    disposition: dispositionId === 2 ? 'Blocked' : dispositionId === 15 ? 'Detected' : 'Alert',
    is_alert: verdict.action !== 'allow',
    status_id: 1,
    status: 'New',
    confidence_id: 3,
    count: input.count,
    message: `${input.killed ? 'Killed' : blocked ? 'Blocked' : denied ? 'Detected' : 'Alert'}: ${verdict.reason}`,
    metadata: {
      version: OCSF_VERSION,
      uid: `${input.uid}${input.activityId === 2 ? `:${input.count}` : ''}`,
      product: { name: input.product.name, vendor_name: 'Warden', version: input.product.version },
      ...(input.requestId ? { correlation_uid: input.requestId } : {}),
      profiles: ['security_control', 'cloud'],
      log_name: 'warden',
    },
    finding_info: {
      uid: input.uid,
      title: verdict.title,
      desc: verdict.reason,
      analytic: { uid: verdict.ruleId, name: verdict.ruleId, type_id: 1, type: 'Rule' },
      attacks: verdict.attacks.map((a) => ({
        tactic: a.tactic,
        technique: a.technique,
        version: MITRE_VERSION,
      })),
      types: [event.surface],
      first_seen_time: input.firstSeen,
      last_seen_time: input.time,
      product: { name: input.product.name, vendor_name: 'Warden', version: input.product.version },
    },
    evidences: [evidenceOf(event, input.pid)],
    ...(verdict.anomaly ? { anomaly_analyses: [anomalyAnalysis(verdict.anomaly)] } : {}),
    resources: [
      {
        uid: input.resource.arn,
        name: input.resource.name,
        type: 'AWS::Lambda::Function',
        ...(input.resource.region ? { region: input.resource.region } : {}),
        ...(input.resource.version ? { version: input.resource.version } : {}),
        cloud_partition: input.resource.arn.split(':')[1] ?? 'aws',
      },
    ],
    cloud: { provider: 'AWS', ...(input.resource.region ? { region: input.resource.region } : {}) },
    unmapped: {
      package: input.attribution?.package ?? '<unknown>',
      packages: input.attribution?.chain ?? [],
      ...(input.attribution?.deputies ? { acting_for: input.attribution.deputies } : {}),
      stack: input.attribution?.stack ?? [],
      mode: input.mode,
      rule_action: verdict.action,
      surface: event.surface,
      op: event.op,
      pid: input.pid,
      layer: input.layer ?? 'sensor',
      ...(input.killed ? { killed: true } : {}),
      ...(input.aggregated
        ? { aggregated: { budget: input.aggregated.budget, occurrences: input.count } }
        : {}),
      // The attacker-controlled input a detector traced into the call (where, what, its effect).
      ...(verdict.input ? { input: verdict.input } : {}),
      // What outbound data carried: which credential and how encoded, never its value.
      ...(event.surface === 'network' && event.data ? { outbound: event.data } : {}),
    },
  };
}
