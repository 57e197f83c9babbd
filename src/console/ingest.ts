/**
 * A batch as the shipper sends it (src/extension/shipper.ts): NDJSON, gzip'd or not, one OCSF
 * finding per line. A line that is not one rejects the whole batch, naming the line, so a batch is
 * stored whole or not at all (the shipper does not resend a rejected batch).
 */
import { gunzipSync } from 'node:zlib';
import { factsOf } from './finding-facts';
import type { StoredFinding } from './store';

/** The most a batch may hold once decompressed (the shipper sends 200 findings, well under). */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export type ParsedBatch =
  | { ok: true; findings: StoredFinding[] }
  | { ok: false; error: string; line?: number };

export function parseBatch(body: Uint8Array, gzip: boolean): ParsedBatch {
  let text: string;
  try {
    const bytes =
      gzip || (body[0] === 0x1f && body[1] === 0x8b)
        ? gunzipSync(body, { maxOutputLength: MAX_BATCH_BYTES })
        : body;
    if (bytes.length > MAX_BATCH_BYTES)
      return { ok: false, error: `the batch is over ${MAX_BATCH_BYTES} bytes` };
    text = Buffer.from(bytes).toString('utf8');
  } catch (e) {
    return { ok: false, error: `the body is not gzip'd NDJSON: ${(e as Error).message}` };
  }
  const findings: StoredFinding[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const raw = line.trim();
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      return { ok: false, error: `line ${i + 1}: not JSON (${(e as Error).message})`, line: i + 1 };
    }
    const facts = factsOf(value);
    if (!facts.ok) return { ok: false, error: `line ${i + 1}: ${facts.error}`, line: i + 1 };
    findings.push({ facts: facts.facts, raw });
  }
  if (findings.length === 0) return { ok: false, error: 'the batch holds no finding' };
  return { ok: true, findings };
}
