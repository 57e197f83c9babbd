/**
 * Learning mode (WARDEN_LEARN=<file>): every event is an observation, whatever a policy would
 * say, attributed to its package and counted per invocation; nothing is blocked or reported as
 * a finding. Lines are appended to the file when the invocation ends (and at exit, for child
 * processes and the init phase), so a thousand reads of one file are one line.
 */
import type { InvocationContext, SensorEvent } from '../events/types';
import { type Observation, observationSubject } from '../learn/observation';
import type { Sink } from './sink';

const MAX_PER_INVOCATION = 5000;

export interface Observer {
  /** `deputies`: the packages `pkg` acted for (attribution.ts), for events of a capability. */
  record(
    ev: SensorEvent,
    pkg: string,
    ctx: InvocationContext | undefined,
    deputies?: readonly string[],
  ): void;
  flush(): void;
  flushAll(): void;
  readonly dropped: number;
}

export function createObserver(sink: Sink, taskRoot?: string): Observer {
  const buckets = new Map<string, Map<string, Observation>>();
  let dropped = 0;
  const flush = (key: string) => {
    const bucket = buckets.get(key);
    if (!bucket) return;
    buckets.delete(key);
    for (const obs of bucket.values()) sink.write(JSON.stringify(obs));
  };
  return {
    get dropped() {
      return dropped;
    },
    record(ev, pkg, ctx, deputies) {
      if (ev.surface === 'sensor') return;
      const key = ctx?.requestId ?? '<init>';
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = new Map();
        buckets.set(key, bucket);
      }
      const acting = deputies && deputies.length > 0 ? deputies.join(',') : '';
      const subject = `${pkg}\u0001${acting}\u0001${observationSubject(ev)}`;
      const prior = bucket.get(subject);
      if (prior) {
        prior.count++;
        return;
      }
      if (bucket.size >= MAX_PER_INVOCATION) {
        dropped++;
        return;
      }
      bucket.set(subject, {
        warden: 'observation',
        v: 1,
        event: ev,
        package: pkg,
        ...(acting ? { deputies: [...deputies!] } : {}),
        count: 1,
        ...(ctx?.requestId ? { requestId: ctx.requestId } : {}),
        layer: 'sensor',
        ...(taskRoot ? { taskRoot } : {}),
      });
    },
    flush() {
      // Everything so far, at the end of each invocation: the init phase's (the runtime may be
      // frozen or killed before it exits) and late events of earlier invocations (a kept-alive
      // socket's callbacks carry the invocation that opened it).
      for (const key of [...buckets.keys()]) flush(key);
    },
    flushAll() {
      for (const key of [...buckets.keys()]) flush(key);
    },
  };
}
