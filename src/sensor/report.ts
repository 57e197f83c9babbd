/**
 * The sensor's judgement loop: an event from a hook → verdict (pure `decide`) → finding
 * (pure `toFinding`) → sink, with de-duplication per invocation, and the fault barrier:
 * nothing thrown in here ever reaches the caller of the hooked API.
 */

import { type DetectContext, type DetectState, newDetectState, remember } from '../detect/context';
import { type Engine, evaluate } from '../detect/engine';
import { type FunctionResource, toFinding } from '../events/ocsf';
import { resourceOfInvocation } from '../events/resource';
import type { Attribution, InvocationContext, SensorEvent, Surface, Verdict } from '../events/types';
import type { CompiledPolicy } from '../policy/compile';
import { couldDeny } from '../policy/could-deny';
import { ACTION_RANK, capabilityOf, decide, isPlatformCode, type PackageOf } from '../policy/decide';
import type { Mode } from '../policy/types';
import {
  attribute,
  captureStack,
  deputiesOf,
  isModuleLoaderRead,
  ownerOf,
  type StackHolder,
} from './attribution';
import { currentInvocation } from './context';
import { blockedError, type WardenBlockedError } from './errors';
import type { FaultSite } from './guard';
import type { Observer } from './observe';
import type { Sink } from './sink';

export interface SensorState {
  policy: CompiledPolicy;
  mode: Mode;
  failClosed: boolean;
  sink: Sink;
  resource: FunctionResource;
  version: string;
  injectFault?: string;
  /** Learning mode: every event is observed, none is judged. */
  observer?: Observer;
  /** Detection rules and detectors (none in learning mode). */
  engine?: Engine;
  /** The policy is a file of the user's (rules that a policy can allow defer to it). */
  userPolicy?: boolean;
  /** The invocation's input and path joins, for the detectors (see sensor/invocation-facts.ts). */
  invocationFacts?: (ctx: InvocationContext | undefined) => Pick<DetectContext, 'inputs' | 'joins'>;
  /** A read the rules want to see even where the policy could not refuse it (see fs hooks). */
  readOfInterest?: (requested: string) => 'input' | 'code-file' | undefined;
}

const detectState: DetectState = newDetectState();

interface Seen {
  count: number;
  reported: number;
  /** When it was last written (ms), for the periodic count updates. */
  lastEmit: number;
  /** Stands for every occurrence of its rule and package past the budget. */
  aggregated?: boolean;
  firstSeen: number;
  uid: string;
  event: SensorEvent;
  verdict: Verdict;
  blocked: boolean;
  attribution?: Attribution;
  requestId?: string;
  resource: FunctionResource;
}

/**
 * Distinct findings per invocation written one by one. Past it, a finding of a rule (and
 * blocked-or-not) already reported in this invocation is folded into one aggregate finding per
 * rule and package, counted; the first finding of any other rule is still written on its own, so
 * a new kind of action (a blocked shell after 100,000 denied writes) is never lost in the noise.
 * The invocation's end reports how many were aggregated.
 */
const FINDINGS_BUDGET = 2000;
/** A repeated finding's count is written again at least this often (and at 10, 100, 1000 …). */
const COUNT_UPDATE_MS = 1000;

interface Bucket {
  seen: Map<string, Seen>;
  /** Distinct findings written one by one (not aggregates). */
  distinct: number;
  /** Rules (with blocked or not) written one by one in this invocation. */
  rules: Set<string>;
  /** Occurrences folded into aggregates. */
  aggregated: number;
}

let state: SensorState | undefined;
const seenByInvocation = new Map<string, Bucket>();
const counters = { events: 0, findings: 0, blocked: 0, faults: 0, suppressed: 0 };

export function setState(s: SensorState): void {
  state = s;
}

export function getState(): SensorState | undefined {
  return state;
}

export function stats(): Readonly<typeof counters> & { sinkFailures: number } {
  return { ...counters, sinkFailures: state?.sink.failures ?? 0 };
}

function subjectOf(ev: SensorEvent): string {
  switch (ev.surface) {
    case 'process':
      return ev.op === 'kill' ? `${ev.pid}:${String(ev.signal)}` : `${ev.exe}\u0000${ev.argv.join('\u0000')}`;
    case 'network':
      return `${ev.protocol}:${ev.host ?? ''}:${ev.ip ?? ''}:${ev.port ?? ''}`;
    case 'files':
      return `${ev.op}:${ev.path}`;
    case 'code':
      return ev.op === 'module' ? `module:${ev.target}` : `${ev.op}:${ev.api}:${ev.target}`;
    case 'secrets':
      return ev.name;
    case 'sensor':
      return ev.message;
  }
}

let uidCounter = 0;
function newUid(): string {
  uidCounter++;
  return `${process.pid.toString(36)}-${Date.now().toString(36)}-${uidCounter.toString(36)}`;
}

function emit(s: SensorState, seen: Seen, activityId: 1 | 2, now: number): void {
  const finding = toFinding({
    uid: seen.uid,
    event: seen.event,
    verdict: seen.verdict,
    blocked: seen.blocked,
    mode: s.mode,
    attribution: seen.attribution,
    requestId: seen.requestId,
    resource: seen.resource,
    product: { name: 'Warden', version: s.version },
    time: now,
    count: seen.count,
    activityId,
    firstSeen: seen.firstSeen,
    pid: process.pid,
    ...(seen.aggregated ? { aggregated: { budget: FINDINGS_BUDGET } } : {}),
  });
  counters.findings++;
  s.sink.write(JSON.stringify(finding));
  seen.lastEmit = now;
}

function isPowerOfTen(n: number): boolean {
  let p = 10;
  while (p < n) p *= 10;
  return p === n;
}

/**
 * One more occurrence of a finding already in the bucket. Its count is written again at 10, 100,
 * 1000 … and at least every COUNT_UPDATE_MS, so a runtime killed without notice (a timeout: SIGKILL)
 * loses at most that much of the count; the rest is written at the invocation's end.
 */
function repeat(s: SensorState, seen: Seen, now: number): void {
  seen.count++;
  if (seen.reported === 0) {
    // Its first report failed (the stack or memory ran out as it was written): try again now.
    emit(s, seen, 1, now);
    seen.reported = seen.count;
  } else if (isPowerOfTen(seen.count) || now - seen.lastEmit >= COUNT_UPDATE_MS) {
    emit(s, seen, 2, now);
    seen.reported = seen.count;
  }
}

/** The function as this invocation names it (the invoked ARN, alias or version included). */
function resourceFor(s: SensorState, ctx: InvocationContext | undefined): FunctionResource {
  return resourceOfInvocation(s.resource, ctx?.functionArn);
}

/**
 * Who made the call: the package (part of what a finding is about) and its attribution with the
 * formatted stack, made only for a finding's first occurrence (a repeat only counts).
 */
interface Caller {
  package: string;
  attribution(): Attribution;
}

function record(
  s: SensorState,
  ev: SensorEvent,
  verdict: Verdict,
  blocked: boolean,
  caller: Caller | undefined,
  context?: InvocationContext,
): void {
  const ctx = context ?? currentInvocation();
  const bucketKey = ctx?.requestId ?? '<init>';
  let bucket = seenByInvocation.get(bucketKey);
  if (!bucket) {
    bucket = { seen: new Map(), distinct: 0, rules: new Set(), aggregated: 0 };
    seenByInvocation.set(bucketKey, bucket);
  }
  const subject = subjectOf(ev);
  const kind = `${verdict.ruleId}\u0001${verdict.action}\u0001${blocked}\u0001${caller?.package ?? ''}`;
  const key = `${kind}\u0001${subject.length > 2048 ? `${subject.slice(0, 2048)}#${subject.length}` : subject}`;
  const prior = bucket.seen.get(key);
  const now = Date.now();
  if (prior) {
    repeat(s, prior, now);
    return;
  }
  const rule = `${verdict.ruleId}\u0001${blocked}`;
  let aggregated = false;
  let slot = key;
  if (bucket.distinct >= FINDINGS_BUDGET && bucket.rules.has(rule)) {
    bucket.aggregated++;
    counters.suppressed++;
    slot = `\u0002${kind}`;
    const aggregate = bucket.seen.get(slot);
    if (aggregate) {
      repeat(s, aggregate, now);
      return;
    }
    aggregated = true;
  } else {
    bucket.distinct++;
    bucket.rules.add(rule);
  }
  const seen: Seen = {
    count: 1,
    reported: 0,
    lastEmit: now,
    ...(aggregated ? { aggregated } : {}),
    firstSeen: now,
    uid: newUid(),
    event: ev,
    verdict,
    blocked,
    attribution: caller?.attribution(),
    requestId: ctx?.requestId,
    resource: resourceFor(s, ctx),
  };
  bucket.seen.set(slot, seen);
  emit(s, seen, 1, now);
  seen.reported = 1;
}

/** The invocation's end: how many findings past the budget were folded into aggregates. */
function reportAggregation(s: SensorState, bucket: Bucket, ctx: InvocationContext | undefined): void {
  if (bucket.aggregated === 0) return;
  const n = bucket.aggregated;
  bucket.aggregated = 0;
  record(
    s,
    {
      surface: 'sensor',
      op: 'volume',
      api: 'report',
      message: `${n} finding(s) past the budget of ${FINDINGS_BUDGET} distinct findings were aggregated`,
    },
    {
      action: 'alert',
      ruleId: 'warden.sensor.findings-aggregated',
      title: 'Findings aggregated past the per-invocation budget',
      severity: 3,
      attacks: [],
      reason: `this invocation made more than ${FINDINGS_BUDGET} distinct findings: ${n} more were counted in one aggregate finding per rule and package (unmapped.aggregated), not written one by one; every rule's first finding was`,
    },
    false,
    undefined,
    ctx,
  );
}

/** Emits an Update with the final count for findings that repeated; drops the bucket. */
export function flushInvocation(ctx: InvocationContext | undefined): void {
  const s = state;
  if (!s) return;
  s.observer?.flush();
  reportUnreportedFaults(s, ctx);
  const key = ctx?.requestId ?? '<init>';
  const bucket = seenByInvocation.get(key);
  if (!bucket) return;
  reportAggregation(s, bucket, ctx);
  const now = Date.now();
  for (const seen of bucket.seen.values()) {
    if (seen.count > seen.reported) {
      // Never reported (its first write failed): a Create with the full count, else an Update.
      emit(s, seen, seen.reported === 0 ? 1 : 2, now);
      seen.reported = seen.count;
    }
  }
  if (ctx) seenByInvocation.delete(key);
}

export function flushAll(): void {
  state?.observer?.flushAll();
  for (const key of [...seenByInvocation.keys()]) {
    flushInvocation(key === '<init>' ? undefined : ({ requestId: key } as InvocationContext));
  }
}

/** What became of the call a fault happened in. */
type FaultOutcome = 'allowed' | 'blocked' | 'verdict-stood';

const FAULT_TITLES: Readonly<Record<FaultOutcome, string>> = {
  allowed: 'Warden sensor fault (the call was let through)',
  blocked: 'Warden sensor fault (the call was blocked)',
  'verdict-stood': 'Warden sensor fault while reporting (the verdict stood)',
};

/** Faults that could not be reported when they happened (the report itself failed). */
let unreportedFaults = 0;

/**
 * Reports a fault of the sensor itself (counted; one finding per distinct fault and invocation).
 * `outcome`: what became of the call (default: let through, or blocked under failClosed).
 */
export function reportFault(where: string, e: unknown, outcome?: FaultOutcome): void {
  counters.faults++;
  const s = state;
  if (!s) return;
  try {
    const message = `${where}: ${e instanceof Error ? e.message : String(e)}`;
    const result = outcome ?? (s.failClosed ? 'blocked' : 'allowed');
    const verdict: Verdict = {
      action: 'alert',
      ruleId: 'warden.sensor.fault',
      title: FAULT_TITLES[result],
      severity: result === 'allowed' ? 3 : 2,
      attacks: [],
      reason: `${message} (faults so far: ${counters.faults})`,
    };
    record(
      s,
      { surface: 'sensor', op: 'fault', api: where, message, count: counters.faults },
      verdict,
      result === 'blocked',
      undefined,
    );
  } catch {
    // The fault path itself failed (at the stack's limit, say): reported at the invocation's end.
    unreportedFaults++;
  }
}

/** Reports, once the stack has room again, faults that could not be reported as they happened. */
function reportUnreportedFaults(s: SensorState, ctx: InvocationContext | undefined): void {
  if (unreportedFaults === 0) return;
  const n = unreportedFaults;
  unreportedFaults = 0;
  try {
    record(
      s,
      {
        surface: 'sensor',
        op: 'fault',
        api: 'report',
        message: `${n} sensor fault(s) could not be reported when they happened`,
        count: counters.faults,
      },
      {
        action: 'alert',
        ruleId: 'warden.sensor.fault',
        title: 'Warden sensor faults that could not be reported when they happened',
        severity: 3,
        attacks: [],
        reason: `${n} fault(s) while the sensor could not even report (stack or memory exhausted); faults so far: ${counters.faults}`,
      },
      false,
      undefined,
      ctx,
    );
  } catch {
    unreportedFaults += n;
  }
}

/**
 * Whether a fault while judging an event of this surface refuses the call: under failClosed
 * always; in enforce mode wherever the policy could deny such an event (`couldDeny`) or a
 * detection rule could block it (a code-injection detector on generated code, with a policy that
 * allows eval), so a fault the caller provokes never turns a refused call into an allow.
 */
function refusesOnFault(s: SensorState, surface: Surface, op: string | undefined): boolean {
  if (s.failClosed) return true;
  if (s.mode !== 'enforce' || s.observer) return false;
  return couldDeny(s.policy.policy, surface, op ?? '') || s.engine?.blocks.has(surface) === true;
}

/**
 * A fault while judging (`where`): reported, counted, and the error to refuse the call with when
 * `refusesOnFault` says so (undefined: the call goes through). Unknown surface: never refused.
 */
function faultOutcome(
  s: SensorState | undefined,
  where: string,
  e: unknown,
  surface?: Surface,
  op?: string,
): WardenBlockedError | undefined {
  const refuse = s !== undefined && surface !== undefined && refusesOnFault(s, surface, op);
  reportFault(where, e, refuse ? 'blocked' : 'allowed');
  if (!refuse || surface === undefined) return undefined;
  counters.blocked++;
  return blockedError(
    { surface: 'sensor', op: 'fault', api: `${surface}.${op ?? '*'}`, message: '' },
    {
      action: 'deny',
      ruleId: 'warden.sensor.fail-closed',
      title: 'Blocked on sensor fault',
      severity: 3,
      attacks: [],
      reason: `the sensor could not judge this ${surface} call, and the policy could deny it or a rule block it`,
    },
  );
}

/** The hooks' fault barrier (guard.ts `runHook`) asks here (see `faultOutcome`). */
export function onHookFault(site: FaultSite | undefined, e: unknown): Error | undefined {
  return faultOutcome(state, site ? `${site.surface}.${site.api}` : 'hook', e, site?.surface, site?.op);
}

export function reportNotice(
  ev: SensorEvent & { surface: 'sensor' },
  verdict: Verdict,
  context?: InvocationContext,
): void {
  const s = state;
  if (!s) return;
  try {
    record(s, ev, verdict, false, undefined, context);
  } catch {
    counters.faults++; // reporting the notice failed: the counter is what is left
  }
}

export interface CheckOptions {
  /** A stack captured earlier (async APIs); otherwise the current stack is used. */
  stack?: StackHolder;
  /** Skip package capability checks (module loader reads of a package's own files). */
  loaderRead?: boolean;
  /** Full source of generated code (the event carries an excerpt), for the detectors. */
  codeSource?: string;
}

/** The stricter verdict first: deny before alert, then the more severe, then rules before the policy. */
function byWeight(a: Verdict, b: Verdict): number {
  return ACTION_RANK[b.action] - ACTION_RANK[a.action] || b.severity - a.severity;
}

/**
 * Judges one event. Returns the error to fail the call with when it must be blocked, else
 * undefined. Never throws: a fault is reported and the call goes through (or is blocked
 * when the policy says failClosed).
 */
export function check(ev: SensorEvent, opts?: CheckOptions): WardenBlockedError | undefined {
  const s = state;
  if (!s) return undefined;
  counters.events++;
  try {
    if (s.injectFault && (s.injectFault === 'all' || s.injectFault === ev.surface)) {
      throw new Error(`injected fault on ${ev.surface}`);
    }
    let holder = opts?.stack;
    let owner: string | undefined;
    // Judgement needs only the package; the formatted stack is made when a finding is.
    let deputies: string[] | undefined;
    const packageOf: PackageOf & { deputies: () => readonly string[] } = Object.assign(
      () => {
        if (owner === undefined) {
          holder ??= captureStack();
          owner = ownerOf(holder);
        }
        return opts?.loaderRead && owner !== '<runtime>' ? '<runtime>' : owner;
      },
      {
        deputies: () => {
          if (opts?.loaderRead) return [];
          holder ??= captureStack();
          deputies ??= deputiesOf(holder);
          return deputies;
        },
      },
    );
    // Learning: every event is observed; only the learning policy's explicit denies (the
    // instance metadata endpoints) are judged, and blocked, so learning never reaches them.
    // A data event (what a connection that was already judged carries) is for the rules alone.
    const verdict =
      ev.surface === 'network' && ev.op === 'send' && ev.data ? null : decide(s.policy, ev, packageOf);
    if (s.observer && verdict?.action !== 'deny') {
      s.observer.record(
        ev,
        packageOf(),
        currentInvocation(),
        capabilityOf(ev) ? packageOf.deputies() : undefined,
      );
      return undefined;
    }
    const verdicts: Verdict[] = verdict ? [verdict] : [];
    if (s.engine && !s.observer && !isPlatformCode(s.policy, ev)) {
      const invocation = currentInvocation();
      const ctx: DetectContext = {
        packageOf,
        policy: s.policy,
        state: detectState,
        layer: 'sensor',
        ...(s.invocationFacts ? s.invocationFacts(invocation) : {}),
        ...(opts?.codeSource !== undefined ? { codeSource: opts.codeSource } : {}),
        loaderRead: () => {
          if (opts?.loaderRead) return true;
          holder ??= captureStack();
          return isModuleLoaderRead(holder);
        },
      };
      const rules = evaluate(s.engine, ev, ctx, { policyAllowed: !verdict && s.userPolicy === true });
      if (rules.length > 0) verdicts.push(...rules.sort(byWeight));
      remember(detectState, ev, packageOf);
    }
    if (verdicts.length === 0) return undefined;
    const blocked = verdicts.some((v) => v.action === 'deny') && (s.mode === 'enforce' || !!s.observer);
    // Reporting is not judgement: a fault while writing the finding must not turn a block
    // into a pass, so it is caught on its own below.
    try {
      if (s.injectFault === 'report') throw new Error('injected fault on report');
      packageOf();
      const stack = holder;
      let attribution: Attribution | undefined;
      const caller =
        stack && owner !== undefined
          ? { package: owner, attribution: () => (attribution ??= attribute(stack)) }
          : undefined;
      for (const v of verdicts) record(s, ev, v, blocked, caller);
    } catch (e) {
      reportFault('report', e, 'verdict-stood');
    }
    if (!blocked) return undefined;
    counters.blocked++;
    // The error names the most specific reason: a rule's or detector's before the policy's.
    const reason =
      verdicts.find((v) => v !== verdict && v.action === 'deny') ??
      verdicts.find((v) => v.action === 'deny')!;
    return blockedError(ev, reason);
  } catch (e) {
    return faultOutcome(s, `${ev.surface}.${ev.op}`, e, ev.surface, ev.op);
  }
}
