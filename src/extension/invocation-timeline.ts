/**
 * Which invocation a moment belongs to, as the extension sees it: the sensor names each one as it
 * starts (at once); without a sensor, telemetry's `platform.start` does, in batches up to a
 * second late. A finding made while no sensor speaks waits until telemetry has come past its
 * moment (at most `maxWaitMs`; everything at SHUTDOWN), so it carries the right request id. One
 * job, kept apart from the extension's wiring (main.ts).
 */

import type { FunctionResource } from '../events/ocsf';
import { resourceOfInvocation } from '../events/resource';

export interface Invocation {
  id: string;
  start: number;
  arn?: string;
}

/** How many invocations are remembered (the oldest are forgotten). */
const KEPT = 64;
/** A moment this close before an invocation's start belongs to it (clocks of two processes). */
const SLACK_MS = 5;

export class InvocationTimeline {
  private readonly list: Invocation[] = [];
  private telemetryUpTo = 0;
  private readonly waiting: { at: number; since: number; run: () => void }[] = [];

  constructor(
    private readonly o: {
      base: FunctionResource;
      /** The sensor speaks (its channel is up): its word names invocations at once. */
      sensorSpeaks(): boolean;
      maxWaitMs: number;
      now?: () => number;
    },
  ) {}

  get all(): readonly Invocation[] {
    return this.list;
  }

  /** An invocation named (by the sensor or telemetry), with its start and invoked ARN. */
  note(id: string, start: number, arn?: string): void {
    const known = this.list.find((i) => i.id === id);
    if (known) {
      known.start = Math.min(known.start, start);
      known.arn ??= arn;
    } else {
      this.list.push({ id, start, arn });
      if (this.list.length > KEPT) this.list.shift();
    }
    this.list.sort((a, b) => a.start - b.start);
  }

  /** The request id of the invocation running at `time` (the last one started by then). */
  requestIdAt(time: number): string | undefined {
    for (let i = this.list.length - 1; i >= 0; i--)
      if (this.list[i]!.start <= time + SLACK_MS) return this.list[i]!.id;
    return undefined;
  }

  /** The function as this invocation names it (its invoked ARN: an alias or version). */
  resourceOf(id: string | undefined): FunctionResource {
    const inv = id === undefined ? undefined : this.list.find((i) => i.id === id);
    return resourceOfInvocation(this.o.base, inv?.arn);
  }

  /** Telemetry has delivered its events up to this moment. */
  telemetryReached(time: number): void {
    if (time > this.telemetryUpTo) this.telemetryUpTo = time;
  }

  /** Runs `run` once the moment `at` can be attributed (at once while the sensor speaks). */
  whenAttributable(at: number, run: () => void): void {
    if (this.o.sensorSpeaks() || at <= this.telemetryUpTo) run();
    else this.waiting.push({ at, since: this.now(), run });
  }

  /** Runs what can be attributed now (`all`: everything, at SHUTDOWN). */
  release(all: boolean): void {
    if (this.waiting.length === 0) return;
    const now = this.now();
    for (const w of this.waiting.splice(0)) {
      if (all || w.at <= this.telemetryUpTo || now - w.since >= this.o.maxWaitMs) w.run();
      else this.waiting.push(w);
    }
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }
}
