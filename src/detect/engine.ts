/**
 * The detection engine: compiled rules indexed by surface, run on each event with its context.
 * Pure apart from the per-process memory in `ctx.state`. Each rule that matches gives its own
 * verdict (its own finding, as Falco and Tetragon do): a detector's names the input that did
 * it. Rules that describe a capability (a shell, a write outside /tmp) stand down when a user's
 * policy explicitly allows the event; rules that describe an attack never do.
 */
import { attackOf } from '../events/mitre';
import type { SensorEvent, Verdict } from '../events/types';
import type { CompiledPolicy } from '../policy/compile';
import { processSubjects } from '../policy/decide';
import type { DetectContext } from './context';
import { DETECTORS } from './detectors';
import type { Engine } from './engine-index';
import { FIELDS } from './fields';
import type { FieldValue } from './types';

export { createEngine, type Engine } from './engine-index';

/** One line on what the event was: `spawn /bin/sh -c "…"`, `connect tcp 10.0.0.1:80` … */
export function describeEvent(ev: SensorEvent): string {
  const cut = (s: string) => (s.length > 200 ? `${s.slice(0, 197)}...` : s);
  switch (ev.surface) {
    case 'process':
      return ev.op === 'kill'
        ? `kill ${ev.pid}`
        : cut(
            `${ev.op} ${ev.exe}${
              ev.argv.length > 1
                ? ` ${ev.argv
                    .slice(1)
                    .map((a) => (/\s/.test(a) ? JSON.stringify(a) : a))
                    .join(' ')}`
                : ''
            }`,
          );
    case 'network':
      return `${ev.op} ${ev.protocol} ${ev.host ?? ev.ip ?? '?'}${ev.ip && ev.host && ev.ip !== ev.host ? ` (${ev.ip})` : ''}${ev.port !== undefined ? `:${ev.port}` : ''}${ev.data?.credential ? ` carrying ${ev.data.credential.name} (${ev.data.credential.encoding})` : ''}${ev.data?.stratum ? ` calling ${ev.data.stratum}` : ''}`;
    case 'files':
      return `${ev.op} ${ev.path}${ev.requested !== ev.path ? ` (as ${ev.requested})` : ''}`;
    case 'code':
      return cut(`${ev.api} ${JSON.stringify(ev.target)}`);
    case 'secrets':
      return `${ev.op} ${ev.name} (${ev.api})`;
    case 'sensor':
      return ev.message;
  }
}

/**
 * The user's policy lets this event through by an entry that names it (an allow list entry),
 * not only by a list's default: the user said this is expected.
 */
function allowedByEntry(policy: CompiledPolicy, ev: SensorEvent): boolean {
  switch (ev.surface) {
    case 'process': {
      if (ev.op !== 'spawn') return false;
      return policy.process.matchAny(processSubjects(ev)).list === 'allow';
    }
    case 'network':
      return (
        policy.network.match({ host: ev.host, ip: ev.ip, port: ev.port, protocol: ev.protocol }).list ===
        'allow'
      );
    case 'files':
      return policy.files[ev.op].match(ev.path).list === 'allow';
    case 'code':
      return ev.op === 'native'
        ? policy.nativeAddons.match(ev.target).list === 'allow'
        : ev.op === 'module'
          ? policy.modules.match(ev.target).list === 'allow'
          : false;
    case 'secrets':
    case 'sensor':
      return false;
  }
}

export interface EvaluateOptions {
  /** The policy is the user's (not the built-in default) and gave this event no verdict. */
  policyAllowed: boolean;
}

/** The verdicts of every rule that matches the event (empty when none does). */
export function evaluate(
  engine: Engine,
  ev: SensorEvent,
  ctx: DetectContext,
  opts: EvaluateOptions,
): Verdict[] {
  const rules = engine.bySurface[ev.surface];
  if (rules.length === 0) return [];
  const explicitlyAllowed = opts.policyAllowed && allowedByEntry(ctx.policy, ev);
  // Each field read at most once per event (several rules test the same ones).
  const cache = new Map<string, FieldValue>();
  const read = (name: string): FieldValue => {
    let v = cache.get(name);
    if (v === undefined && !cache.has(name)) {
      v = FIELDS[name]?.get(ev, ctx);
      cache.set(name, v);
    }
    return v;
  };
  const out: Verdict[] = [];
  for (const rule of rules) {
    if (rule.policyCanAllow && explicitlyAllowed) continue;
    let reason: string | undefined;
    let input: Verdict['input'];
    if (rule.detector) {
      const hit = DETECTORS[rule.detector]!(ev, ctx);
      if (!hit) continue;
      reason = `${describeEvent(ev)}: ${hit.reason}`;
      input = hit.input;
    } else {
      if (!rule.test(ev, read)) continue;
      reason = `${describeEvent(ev)}: ${rule.description || rule.title}`;
    }
    out.push({
      action: rule.action === 'alert' ? 'alert' : 'deny',
      ruleId: rule.id,
      title: rule.title,
      severity: rule.severity,
      attacks: rule.mitre.map((m) => attackOf(m.tactic, m.technique)),
      reason,
      ...(rule.action === 'kill' ? { kill: true } : {}),
      ...(input ? { input } : {}),
    });
  }
  return out;
}
