/**
 * The per-day counts the console reads instead of the findings: findings per UTC day, function,
 * rule, package and severity (`finding_days`: the overview, the function list, fleet health, a
 * function's deviations) and per day, tactic and technique (`attack_days`: the ATT&CK matrix).
 * Ingest tallies a batch and adds it in the batch's transaction; a database whose findings came
 * before a table existed is tallied from its findings once, when the console opens it.
 */
import { factsOf } from './finding-facts';
import type { SqlDb } from './sql';
import type { StoredFinding } from './store';

export const DAY_MS = 86_400_000;
export const dayOf = (time: number): number => Math.floor(time / DAY_MS) * DAY_MS;

/** Findings on one UTC day of one function, rule, package and severity. */
export interface FindingDayCount {
  day: number;
  functionArn: string;
  functionName: string;
  ruleId: string;
  package: string;
  severityId: number;
  findings: number;
  lastSeen: number;
}

/** Findings on one UTC day tagged with one tactic and technique. */
export interface AttackCount {
  day: number;
  tactic: string;
  technique: string;
  name: string;
  findings: number;
  lastSeen: number;
}

type Facts = StoredFinding['facts'];

/** One count per key, grown by each finding; listed in key order (two writers take rows in one order). */
class Counts<T extends { findings: number; lastSeen: number }> {
  private readonly byKey = new Map<string, T>();
  add(key: string, time: number, first: () => T): void {
    const c = this.byKey.get(key);
    if (c) {
      c.findings++;
      c.lastSeen = Math.max(c.lastSeen, time);
    } else this.byKey.set(key, first());
  }
  list(): T[] {
    return [...this.byKey.keys()].sort().map((k) => this.byKey.get(k) as T);
  }
}

/** The day counts of a set of findings. */
export class DayTally {
  readonly findings = new Counts<FindingDayCount>();
  readonly attacks = new Counts<AttackCount>();

  add(f: Facts): void {
    const day = dayOf(f.time);
    this.findings.add([day, f.functionArn, f.ruleId, f.package, f.severityId].join('\u0000'), f.time, () => ({
      day,
      functionArn: f.functionArn,
      functionName: f.functionName,
      ruleId: f.ruleId,
      package: f.package,
      severityId: f.severityId,
      findings: 1,
      lastSeen: f.time,
    }));
    for (const a of f.attacks)
      this.attacks.add([day, a.tactic, a.technique].join('\u0000'), f.time, () => ({
        day,
        tactic: a.tactic,
        technique: a.technique,
        name: a.name,
        findings: 1,
        lastSeen: f.time,
      }));
  }
}

const LATER = (table: string) =>
  `last_seen = CASE WHEN excluded.last_seen > ${table}.last_seen THEN excluded.last_seen ELSE ${table}.last_seen END`;

export async function addFindingDays(db: SqlDb, counts: readonly FindingDayCount[]): Promise<void> {
  for (const c of counts)
    await db.run(
      `INSERT INTO finding_days (day, function_arn, function_name, rule_id, package, severity_id, findings, last_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, function_arn, rule_id, package, severity_id) DO UPDATE SET
         findings = finding_days.findings + excluded.findings, function_name = excluded.function_name, ${LATER('finding_days')}`,
      [c.day, c.functionArn, c.functionName, c.ruleId, c.package, c.severityId, c.findings, c.lastSeen],
    );
}

export async function addAttackDays(db: SqlDb, counts: readonly AttackCount[]): Promise<void> {
  for (const a of counts)
    await db.run(
      `INSERT INTO attack_days (day, tactic_uid, technique_uid, technique_name, findings, last_seen)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, tactic_uid, technique_uid) DO UPDATE SET
         findings = attack_days.findings + excluded.findings, ${LATER('attack_days')}`,
      [a.day, a.tactic, a.technique, a.name, a.findings, a.lastSeen],
    );
}

const isEmpty = async (db: SqlDb, table: string): Promise<boolean> =>
  (await db.get(`SELECT 1 AS one FROM ${table} LIMIT 1`)) === undefined;

const PAGE = 5_000;

/**
 * Tallies the stored findings into each day table that is empty while findings are stored (a
 * database from before that table: ingest fills both in the same transaction as the findings),
 * in one transaction. Returns the tables it filled. `db` is one connection, no transaction open.
 */
export async function backfillRollups(
  db: SqlDb,
  say: (line: string) => void = () => undefined,
): Promise<string[]> {
  if (await isEmpty(db, 'findings')) return [];
  const tables = [];
  for (const table of ['finding_days', 'attack_days']) if (await isEmpty(db, table)) tables.push(table);
  if (tables.length === 0) return [];
  const started = Date.now();
  say(
    `counting the stored findings per day into ${tables.join(' and ')} (once: the database is from an earlier version)`,
  );
  const tally = new DayTally();
  let counted = 0;
  let after: { time: number; uid: string } | undefined;
  for (;;) {
    const rows = await db.all(
      `SELECT uid, time, raw FROM findings ${after ? 'WHERE (time > ? OR (time = ? AND uid > ?))' : ''}
       ORDER BY time, uid LIMIT ${PAGE}`,
      after ? [after.time, after.time, after.uid] : [],
    );
    for (const r of rows) {
      const parsed = factsOf(JSON.parse(String(r.raw)) as unknown);
      if (parsed.ok) tally.add(parsed.facts);
    }
    counted += rows.length;
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1] as Record<string, unknown>;
    after = { time: Number(last.time), uid: String(last.uid) };
  }
  await db.run('BEGIN');
  try {
    if (tables.includes('finding_days')) await addFindingDays(db, tally.findings.list());
    if (tables.includes('attack_days')) await addAttackDays(db, tally.attacks.list());
    await db.run('COMMIT');
  } catch (e) {
    await db.run('ROLLBACK');
    throw e;
  }
  say(`counted ${counted} findings in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return tables;
}
