/**
 * What the demo's runs show, computed from what happened: which attacks reached the secret in
 * monitor mode, which were refused in enforce mode, whether any benign request failed. The
 * demo prints these sentences and exits non-zero when Warden failed its part (a leak in enforce
 * mode, a refused attack that was not Warden's refusal, a benign request that failed).
 */
import type { InvokeResult } from '../sandbox/sandbox';

export interface DemoStepRun {
  mode: 'monitor' | 'enforce';
  results: InvokeResult[];
  /** This sandbox's canary secret key. */
  canary: string;
}

export type StepKind = 'benign' | 'attack';

export interface DemoSentence {
  good: boolean;
  text: string;
}

export interface DemoOutcome {
  /** Warden did its part: nothing leaked under enforce, every attack was its refusal, every benign request passed. */
  ok: boolean;
  sentences: DemoSentence[];
}

export function leaked(run: DemoStepRun, r: InvokeResult | undefined): boolean {
  return !!run.canary && !!r && JSON.stringify(r).includes(run.canary);
}

function blockedByWarden(r: InvokeResult | undefined): boolean {
  return (
    !!r && r.status !== 'success' && /Warden blocked|ERR_WARDEN_BLOCKED/.test(JSON.stringify(r.error ?? ''))
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function demoOutcome(
  runs: readonly DemoStepRun[],
  steps: readonly { kind: StepKind; label: string }[],
): DemoOutcome {
  const sentences: DemoSentence[] = [];
  const attacks = steps.flatMap((s, i) => (s.kind === 'attack' ? [i] : []));
  const benign = steps.flatMap((s, i) => (s.kind === 'benign' ? [i] : []));
  let ok = true;
  const monitor = runs.find((r) => r.mode === 'monitor');
  const enforce = runs.find((r) => r.mode === 'enforce');
  if (monitor) {
    const through = attacks.filter((i) => leaked(monitor, monitor.results[i]));
    sentences.push({
      good: true,
      text: `In monitor mode ${through.length} of ${plural(attacks.length, 'attack')} reached the secret key, reported, not stopped.`,
    });
  }
  if (enforce) {
    const leaks = attacks.filter((i) => leaked(enforce, enforce.results[i]));
    const refused = attacks.filter((i) => blockedByWarden(enforce.results[i]));
    if (leaks.length > 0) {
      ok = false;
      sentences.push({
        good: false,
        text: `The secret key leaked in enforce mode: ${leaks.map((i) => steps[i]?.label).join('; ')}.`,
      });
    } else sentences.push({ good: true, text: 'In enforce mode the secret key never left the function.' });
    if (refused.length === attacks.length)
      sentences.push({
        good: true,
        text: `Warden refused ${refused.length} of ${plural(attacks.length, 'attack')}.`,
      });
    else {
      ok = false;
      const not = attacks.filter((i) => !refused.includes(i));
      sentences.push({
        good: false,
        text: `Warden refused ${refused.length} of ${plural(attacks.length, 'attack')}; not refused by Warden: ${not.map((i) => steps[i]?.label).join('; ')}.`,
      });
    }
  }
  const failed = runs.flatMap((run) =>
    benign
      .filter((i) => run.results[i]?.status !== 'success')
      .map((i) => `${steps[i]?.label} (${run.mode}: ${run.results[i]?.status ?? 'no result'})`),
  );
  if (failed.length === 0)
    sentences.push({
      good: true,
      text: `Every benign request succeeded in ${runs.length === 1 ? 'that mode' : 'both modes'} (${plural(benign.length, 'request')} each).`,
    });
  else {
    ok = false;
    sentences.push({
      good: false,
      text: `${plural(failed.length, 'benign request')} failed: ${failed.join('; ')}.`,
    });
  }
  return { ok, sentences };
}
