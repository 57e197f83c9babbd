/**
 * Findings that arrive through Amazon Data Firehose's HTTP endpoint delivery: the path for
 * functions without the extension, whose findings are only in CloudWatch Logs (a subscription
 * filter on the log group → a Firehose stream → `warden serve`). The request is Firehose's
 * (`{requestId, timestamp, records: [{data: base64}]}`, gzip'd when the stream says so); each
 * record is what CloudWatch Logs sends a subscription (gzip'd JSON: a DATA_MESSAGE with its
 * `logEvents`, or a CONTROL_MESSAGE), or, with Firehose's decompression and message extraction,
 * the log messages themselves. Log lines that are not Warden findings (the function's own logs,
 * START / END / REPORT) are skipped, not errors.
 */
import { gunzipSync } from 'node:zlib';
import { factsOf } from './finding-facts';
import { MAX_BATCH_BYTES } from './ingest';
import type { StoredFinding } from './store';

export interface FirehoseBatch {
  requestId: string;
  findings: StoredFinding[];
  /** Log lines that were not findings (counted, for the answer). */
  skipped: number;
}

const gunzipped = (b: Buffer): Buffer =>
  b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b, { maxOutputLength: MAX_BATCH_BYTES }) : b;

/** The log messages a record carries. */
function messagesOf(data: Buffer): string[] {
  const text = gunzipped(data).toString('utf8');
  const trimmed = text.trim();
  if (trimmed.startsWith('{') && trimmed.includes('"messageType"')) {
    try {
      const sub = JSON.parse(trimmed) as { messageType?: string; logEvents?: { message?: unknown }[] };
      if (sub.messageType === 'CONTROL_MESSAGE') return [];
      if (sub.messageType === 'DATA_MESSAGE')
        return (sub.logEvents ?? []).map((e) => (typeof e.message === 'string' ? e.message : ''));
    } catch {
      // not a subscription payload: read it as log lines
    }
  }
  return text.split('\n');
}

/** A finding in a log line: the line itself, or a JSON log record whose `message` holds one. */
function findingIn(line: string): { value: unknown; raw: string } | undefined {
  const raw = line.trim();
  if (!raw.startsWith('{') || !raw.includes('"class_uid"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const message = (value as { message?: unknown }).message;
  if ((value as { class_uid?: unknown }).class_uid === undefined && typeof message === 'string')
    return findingIn(message);
  return (value as { class_uid?: unknown }).class_uid === 2004 ? { value, raw } : undefined;
}

export function parseFirehose(
  body: Uint8Array,
  gzip: boolean,
  headerRequestId: string | undefined,
): { ok: true; batch: FirehoseBatch } | { ok: false; requestId: string; error: string } {
  let request: { requestId?: unknown; records?: unknown };
  try {
    const bytes = Buffer.from(body);
    request = JSON.parse((gzip ? gunzipped(bytes) : bytes).toString('utf8')) as typeof request;
  } catch (e) {
    return {
      ok: false,
      requestId: headerRequestId ?? '',
      error: `the body is not a Firehose request: ${(e as Error).message}`,
    };
  }
  const requestId = typeof request.requestId === 'string' ? request.requestId : (headerRequestId ?? '');
  if (!Array.isArray(request.records)) return { ok: false, requestId, error: 'records is missing' };
  const findings: StoredFinding[] = [];
  let skipped = 0;
  for (const [i, record] of request.records.entries()) {
    const data = (record as { data?: unknown })?.data;
    if (typeof data !== 'string') return { ok: false, requestId, error: `records[${i}].data is missing` };
    let messages: string[];
    try {
      messages = messagesOf(Buffer.from(data, 'base64'));
    } catch (e) {
      return { ok: false, requestId, error: `records[${i}]: ${(e as Error).message}` };
    }
    for (const message of messages) {
      const found = findingIn(message);
      const facts = found ? factsOf(found.value) : undefined;
      if (found && facts?.ok) findings.push({ facts: facts.facts, raw: found.raw });
      else if (message.trim()) skipped++;
    }
  }
  return { ok: true, batch: { requestId, findings, skipped } };
}
