/**
 * `warden learn --merge <existing>`: what was learned added to a policy a person already
 * reviewed. Allow lists are unions (the existing entries first keep their place in review),
 * explicit alert and deny entries of the existing policy stay, a setting is the wider of the
 * two only where the new observations needed it, package capabilities are unions.
 */
import { ACTION_RANK } from '../policy/decide';
import type { Capability, Policy, RuleList } from '../policy/types';
import { countEntries, type LearnNotes, type LearnResult } from './learn';

type Action = Policy['code']['eval'];

/** The looser of two actions: what the function was seen to need wins. */
function looser(a: Action, b: Action): Action {
  return ACTION_RANK[a] <= ACTION_RANK[b] ? a : b;
}

const key = (entry: unknown) => JSON.stringify(entry);

function mergeList<T>(
  existing: RuleList<T>,
  learned: RuleList<T>,
  learnedNotes: string[] | undefined,
  from: string,
): { list: RuleList<T>; notes: string[] } {
  const seen = new Map<string, number>();
  const allow: T[] = [];
  const notes: string[] = [];
  existing.allow.forEach((e) => {
    seen.set(key(e), allow.length);
    allow.push(e);
    notes.push(`kept from ${from}`);
  });
  learned.allow.forEach((e, i) => {
    const at = seen.get(key(e));
    const note = learnedNotes?.[i] ?? '';
    if (at !== undefined) {
      notes[at] = `kept from ${from}; ${note}`;
      return;
    }
    seen.set(key(e), allow.length);
    allow.push(e);
    notes.push(note);
  });
  return {
    list: { default: existing.default, allow, alert: existing.alert, deny: existing.deny },
    notes,
  };
}

export function mergeLearned(existing: Policy, learned: LearnResult, from: string): LearnResult {
  const l = learned.policy;
  const n = learned.notes;
  const notes: LearnNotes = {};
  const list = <T>(name: string, a: RuleList<T>, b: RuleList<T>): RuleList<T> => {
    const m = mergeList(a, b, n[name], from);
    notes[name] = m.notes;
    return m.list;
  };
  const packages: Record<string, Capability[]> = {};
  const pkgNotes: string[] = [];
  const learnedKeys = Object.keys(l.packages);
  for (const k of [...new Set([...Object.keys(existing.packages), ...learnedKeys])]) {
    const caps = new Set([...(existing.packages[k] ?? []), ...(l.packages[k] ?? [])]);
    packages[k] = [...caps].sort();
    const i = learnedKeys.indexOf(k);
    pkgNotes.push(
      k in existing.packages
        ? `kept from ${from}${i >= 0 ? `; ${n.packages?.[i] ?? ''}` : ''}`
        : (n.packages?.[i] ?? ''),
    );
  }
  notes.packages = pkgNotes;
  for (const k of ['code.eval', 'code.wasm', 'code.workers', 'code.inspector', 'network.listen'])
    notes[k] = n[k] ?? [];
  const policy: Policy = {
    ...existing,
    process: { ...list('process.allow', existing.process, l.process), kill: existing.process.kill },
    network: {
      ...list('network.allow', existing.network, l.network),
      runtimeApi: existing.network.runtimeApi,
      listen: looser(existing.network.listen, l.network.listen),
    },
    files: {
      read: list('files.read.allow', existing.files.read, l.files.read),
      write: list('files.write.allow', existing.files.write, l.files.write),
      exec: list('files.exec.allow', existing.files.exec, l.files.exec),
    },
    code: {
      eval: looser(existing.code.eval, l.code.eval),
      wasm: looser(existing.code.wasm, l.code.wasm),
      workers: looser(existing.code.workers, l.code.workers),
      inspector: looser(existing.code.inspector, l.code.inspector),
      nativeAddons: list('code.nativeAddons.allow', existing.code.nativeAddons, l.code.nativeAddons),
      modules: list('code.modules.allow', existing.code.modules, l.code.modules),
    },
    secrets: { ...list('secrets.allow', existing.secrets, l.secrets), names: existing.secrets.names },
    packages,
    learned: {
      invocations: (existing.learned?.invocations ?? 0) + (l.learned?.invocations ?? 0),
      observations: (existing.learned?.observations ?? 0) + (l.learned?.observations ?? 0),
    },
  };
  return { policy, notes, stats: { ...learned.stats, entries: countEntries(policy) } };
}
