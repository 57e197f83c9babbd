/**
 * The `platform.*` telemetry records Lambda emits, in schema 2022-12-13 shape, and the
 * downgrade to 2022-07-01 (no spans, no tracing objects) for subscribers that asked for it.
 */
import type { TelemetryEvent } from './telemetry';

export type InitStatus = 'success' | 'error' | 'failure' | 'timeout';
export type InvokeStatus = 'success' | 'error' | 'failure' | 'timeout';

export interface Span {
  name: string;
  start: string;
  durationMs: number;
}

export function platformEvent(
  type: string,
  record: Record<string, unknown>,
  now = new Date(),
): TelemetryEvent {
  return { time: now.toISOString(), type, record };
}

export function forSchema(event: TelemetryEvent, schemaVersion: string): TelemetryEvent {
  if (schemaVersion !== '2022-07-01' || !event.type.startsWith('platform.')) return event;
  const { spans: _spans, tracing: _tracing, ...rest } = event.record as Record<string, unknown>;
  return { ...event, record: rest };
}

export const round2 = (ms: number): number => Math.round(ms * 100) / 100;

export function tracing(traceId: string): Record<string, string> {
  return { type: 'X-Amzn-Trace-Id', value: traceId };
}
