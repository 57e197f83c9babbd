import { defaultPolicy } from './default-policy';
import type { NetworkRule, PathRule, Policy, ProcessRule } from './types';

/**
 * The policy `warden learn` runs under: monitor mode, every list's default `alert`, so every
 * hook is installed and every event is seen (the sensor observes instead of judging; the
 * extension reports each process and connection it sees, which the learner reads back). The
 * metadata endpoints are denied even then.
 */
export function learningPolicy(): Policy {
  const list = <T>() => ({ default: 'alert' as const, allow: [] as T[], alert: [] as T[], deny: [] as T[] });
  return {
    ...defaultPolicy(),
    process: { ...list<ProcessRule>(), kill: 'alert' },
    network: {
      ...list<NetworkRule>(),
      // Never reached while learning, whatever the function tries (the SDK's credential chain
      // falls back to them): blocked, and reported.
      deny: defaultPolicy().network.deny,
      runtimeApi: 'alert',
      listen: 'alert',
    },
    files: { read: list<PathRule>(), write: list<PathRule>(), exec: list<PathRule>() },
    code: {
      eval: 'alert',
      wasm: 'alert',
      workers: 'alert',
      inspector: 'alert',
      nativeAddons: list<PathRule>(),
      modules: list<{ name: string }>(),
    },
    secrets: { ...list<string>(), names: [] },
  };
}
