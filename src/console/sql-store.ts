/**
 * The console's store, once for both databases: every query is written here with `?`
 * placeholders, and a `SqlConnection` (sqlite-store.ts, pg-store.ts) runs it. What only one
 * database needs (PostgreSQL's partitions and per-function locks) comes in as `beforeIngest`.
 */
import { ingestAll } from './ingest-loop';
import { addAttackDays, addFindingDays, dayOf } from './rollups';
import { incidentOf, triaged } from './rows';
import type { Row, SqlConnection, SqlDb } from './sql';
import {
  type AttackSeen,
  type FindingFilter,
  type FunctionSummary,
  type HealthFinding,
  type Incident,
  type IncidentFilter,
  type IncidentPatch,
  type IngestResult,
  type Overview,
  overviewOf,
  type Store,
  type StoredFinding,
  type StoredPolicy,
  type Suppression,
} from './store';

export interface SqlStoreHooks {
  /**
   * Run first in each ingest transaction; its answer runs once that transaction committed
   * (what it made is then known to be there).
   */
  beforeIngest?(tx: SqlDb, findings: readonly StoredFinding[]): Promise<() => void>;
}

/** Where clauses and their parameters, in order. */
class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...values: unknown[]): void {
    this.parts.push(sql);
    this.params.push(...values);
  }
  toString(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** A function filter matches its name or its ARN. */
const FUNCTION_MATCH = '(function_name = ? OR function_arn = ?)';
const n = (v: unknown): number => Number(v ?? 0);
/** Findings per INSERT statement (13 parameters each: well within both databases' limits). */
const FINDINGS_PER_INSERT = 50;

export const OVERVIEW_SQL = {
  byDay:
    'SELECT day, severity_id, SUM(findings) AS n FROM finding_days WHERE day >= ? GROUP BY 1, 2 ORDER BY 1, 2',
  top: (column: 'function_name' | 'rule_id' | 'package') =>
    `SELECT ${column} AS name, SUM(findings) AS n FROM finding_days WHERE day >= ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
  states: 'SELECT state, COUNT(*) AS n FROM incidents GROUP BY 1 ORDER BY 1',
};

const policyOf = (r: Row): StoredPolicy => ({
  functionArn: String(r.function_arn),
  version: n(r.version),
  text: String(r.text),
  author: String(r.author),
  created: n(r.created),
});

const suppressionOf = (r: Row): Suppression => ({
  id: String(r.id),
  functions: String(r.functions),
  rules: String(r.rules),
  package: r.package === null || r.package === undefined ? null : String(r.package),
  owner: String(r.owner),
  reason: String(r.reason),
  created: n(r.created),
  expires: n(r.expires),
});

export async function sqlStore(db: SqlConnection, hooks: SqlStoreHooks = {}): Promise<Store> {
  const { jsonHas, forUpdate } = db.dialect;

  return {
    async ingest(findings: readonly StoredFinding[], receivedAt: number): Promise<IngestResult> {
      let committed: (() => void) | undefined;
      const result = await db.transaction(async (tx) => {
        committed = await hooks.beforeIngest?.(tx, findings);
        return ingestAll(
          {
            stored: async (uids) => {
              const out = new Set<string>();
              for (let i = 0; i < uids.length; i += 500) {
                const chunk = uids.slice(i, i + 500);
                for (const r of await tx.all(
                  `SELECT uid FROM findings WHERE uid IN (${chunk.map(() => '?').join(', ')})`,
                  chunk,
                ))
                  out.add(String(r.uid));
              }
              return out;
            },
            ofInvocation: (arn, requestId) =>
              tx.get(
                'SELECT incident_id AS id FROM findings WHERE function_arn = ? AND request_id = ? LIMIT 1',
                [arn, requestId],
              ),
            ofSignature: (signature) =>
              tx.get(
                'SELECT incident_id AS id, time AS finding_time FROM findings WHERE signature = ? ORDER BY time DESC LIMIT 1',
                [signature],
              ),
            incident: (id) => tx.get(`SELECT * FROM incidents WHERE id = ?${forUpdate}`, [id]),
            saveIncidents: async (incidents) => {
              for (const i of incidents) {
                const values = [
                  i.title,
                  i.severityId,
                  i.firstSeen,
                  i.lastSeen,
                  i.findings,
                  i.invocations,
                  JSON.stringify(i.rules),
                  JSON.stringify(i.packages),
                  JSON.stringify(i.techniques),
                  i.updated,
                ];
                if (i.isNew)
                  await tx.run(
                    `INSERT INTO incidents (title, severity_id, first_seen, last_seen, findings, invocations, rules, packages,
                       techniques, updated, id, function_arn, function_name, state, reason, assignee)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', NULL, NULL)`,
                    [...values, i.id, i.functionArn, i.functionName],
                  );
                else
                  await tx.run(
                    `UPDATE incidents SET title = ?, severity_id = ?, first_seen = ?, last_seen = ?, findings = ?, invocations = ?,
                       rules = ?, packages = ?, techniques = ?, updated = ? WHERE id = ?`,
                    [...values, i.id],
                  );
              }
            },
            insertFindings: async (rows) => {
              for (let i = 0; i < rows.length; i += FINDINGS_PER_INSERT) {
                const chunk = rows.slice(i, i + FINDINGS_PER_INSERT);
                await tx.run(
                  `INSERT INTO findings (uid, incident_id, time, function_arn, function_name, request_id, rule_id, package, target,
                     signature, severity_id, raw, received) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
                  chunk.flatMap((f) => [
                    f.uid,
                    f.incidentId,
                    f.time,
                    f.functionArn,
                    f.functionName,
                    f.requestId,
                    f.ruleId,
                    f.package,
                    f.target,
                    f.signature,
                    f.severityId,
                    f.raw,
                    f.received,
                  ]),
                );
              }
            },
            countFindings: (counts) => addFindingDays(tx, counts),
            countAttacks: (counts) => addAttackDays(tx, counts),
          },
          findings,
          receivedAt,
        );
      });
      committed?.();
      return result;
    },

    async incidents(filter: IncidentFilter): Promise<Incident[]> {
      const w = new Where();
      if (filter.state) w.add('state = ?', filter.state);
      if (filter.function) w.add(FUNCTION_MATCH, filter.function, filter.function);
      if (filter.rule) w.add(jsonHas('rules'), filter.rule);
      if (filter.package) w.add(jsonHas('packages'), filter.package);
      if (filter.technique) w.add(jsonHas('techniques'), filter.technique);
      if (filter.since !== undefined) w.add('last_seen >= ?', filter.since);
      const rows = await db.all(`SELECT * FROM incidents ${w} ORDER BY last_seen DESC LIMIT ?`, [
        ...w.params,
        Math.min(filter.limit ?? 100, 1000),
      ]);
      return rows.map(incidentOf);
    },

    async incident(id: string): Promise<Incident | undefined> {
      const row = await db.get('SELECT * FROM incidents WHERE id = ?', [id]);
      return row ? incidentOf(row) : undefined;
    },

    async findings(filter: FindingFilter): Promise<unknown[]> {
      const w = new Where();
      if (filter.function) w.add(FUNCTION_MATCH, filter.function, filter.function);
      if (filter.rule) w.add('rule_id = ?', filter.rule);
      if (filter.incident) w.add('incident_id = ?', filter.incident);
      if (filter.since !== undefined) w.add('time >= ?', filter.since);
      if (filter.until !== undefined) w.add('time < ?', filter.until);
      if (filter.after)
        w.add('(time > ? OR (time = ? AND uid > ?))', filter.after.time, filter.after.time, filter.after.uid);
      const rows = await db.all(`SELECT raw FROM findings ${w} ORDER BY time ASC, uid ASC LIMIT ?`, [
        ...w.params,
        Math.min(filter.limit ?? 1000, 10_000),
      ]);
      return rows.map((r) => JSON.parse(String(r.raw)) as unknown);
    },

    updateIncident: (id: string, patch: IncidentPatch, at: number): Promise<Incident | undefined> =>
      db.transaction(async (tx) => {
        const row = await tx.get(`SELECT * FROM incidents WHERE id = ?${forUpdate}`, [id]);
        if (!row) return undefined;
        const { state, reason, assignee } = triaged(row, patch);
        await tx.run('UPDATE incidents SET state = ?, reason = ?, assignee = ?, updated = ? WHERE id = ?', [
          state,
          reason,
          assignee,
          at,
          id,
        ]);
        return incidentOf((await tx.get('SELECT * FROM incidents WHERE id = ?', [id])) as Row);
      }),

    async claimNotification(
      route: string,
      incidentId: string,
      now: number,
      everyMs: number,
    ): Promise<boolean> {
      return (
        (await db.get(
          `INSERT INTO notifications (route, incident_id, last_sent) VALUES (?, ?, ?)
           ON CONFLICT (route, incident_id) DO UPDATE SET last_sent = excluded.last_sent
           WHERE notifications.last_sent <= CAST(? AS BIGINT) RETURNING 1 AS claimed`,
          [route, incidentId, now, now - everyMs],
        )) !== undefined
      );
    },

    async overview(since: number): Promise<Overview> {
      const day = dayOf(since);
      return overviewOf({
        byDay: await db.all(OVERVIEW_SQL.byDay, [day]),
        functions: await db.all(OVERVIEW_SQL.top('function_name'), [day]),
        rules: await db.all(OVERVIEW_SQL.top('rule_id'), [day]),
        packages: await db.all(OVERVIEW_SQL.top('package'), [day]),
        states: await db.all(OVERVIEW_SQL.states, []),
      });
    },

    // From the incidents (read from their covering index, never their rows): each function's
    // findings in the incidents it had in the period, and when it last reported; its name from
    // the day counts.
    async functions(since: number): Promise<FunctionSummary[]> {
      const rows = await db.all(
        `SELECT function_arn, COALESCE((SELECT MAX(function_name) FROM finding_days d
             WHERE d.function_arn = i.function_arn AND d.day >= ?), function_arn) AS name,
           SUM(findings) AS n, COUNT(*) AS incidents,
           SUM(CASE WHEN state IN ('new', 'in_progress') THEN 1 ELSE 0 END) AS open, MAX(last_seen) AS last
         FROM incidents i WHERE last_seen >= ? GROUP BY function_arn ORDER BY 6 DESC`,
        [dayOf(since), since],
      );
      return rows.map((r) => ({
        arn: String(r.function_arn),
        name: String(r.name),
        findings: n(r.n),
        incidents: n(r.incidents),
        open: n(r.open),
        lastSeen: n(r.last),
      }));
    },

    async findingsPerDay(functionArn: string, since: number, rulePrefix: string) {
      const rows = await db.all(
        `SELECT day, rule_id, SUM(findings) AS n FROM finding_days
         WHERE function_arn = ? AND day >= ? AND rule_id LIKE ? ESCAPE '\\' GROUP BY 1, 2 ORDER BY 1, 2`,
        [functionArn, dayOf(since), `${rulePrefix.replace(/[\\%_]/g, '\\$&')}%`],
      );
      return rows.map((r) => ({ day: n(r.day), ruleId: String(r.rule_id), findings: n(r.n) }));
    },

    async policy(functionArn: string): Promise<StoredPolicy | undefined> {
      const row = await db.get(
        'SELECT * FROM policies WHERE function_arn = ? ORDER BY version DESC LIMIT 1',
        [functionArn],
      );
      return row ? policyOf(row) : undefined;
    },

    savePolicy: (functionArn: string, text: string, author: string, at: number): Promise<StoredPolicy> =>
      db.transaction(async (tx) => {
        // Two saves at once: the second's insert conflicts on the version and the transaction fails.
        const last = await tx.get('SELECT MAX(version) AS v FROM policies WHERE function_arn = ?', [
          functionArn,
        ]);
        const version = n(last?.v) + 1;
        await tx.run(
          'INSERT INTO policies (function_arn, version, text, author, created) VALUES (?, ?, ?, ?, ?)',
          [functionArn, version, text, author, at],
        );
        return { functionArn, version, text, author, created: at };
      }),

    async suppressions(): Promise<Suppression[]> {
      return (await db.all('SELECT * FROM suppressions ORDER BY created DESC, id')).map(suppressionOf);
    },

    async addSuppression(s: Suppression): Promise<void> {
      await db.run(
        'INSERT INTO suppressions (id, functions, rules, package, owner, reason, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [s.id, s.functions, s.rules, s.package, s.owner, s.reason, s.created, s.expires],
      );
    },

    async endSuppression(id: string, at: number): Promise<boolean> {
      return (
        (await db.get(
          'UPDATE suppressions SET expires = CAST(? AS BIGINT) WHERE id = ? AND expires > CAST(? AS BIGINT) RETURNING id',
          [at, id, at],
        )) !== undefined
      );
    },

    async attacks(since: number): Promise<AttackSeen[]> {
      const rows = await db.all(
        `SELECT tactic_uid, technique_uid, MAX(technique_name) AS name, SUM(findings) AS n, MAX(last_seen) AS last
         FROM attack_days WHERE day >= ? GROUP BY tactic_uid, technique_uid ORDER BY tactic_uid, technique_uid`,
        [dayOf(since)],
      );
      return rows.map((r) => ({
        tactic: String(r.tactic_uid),
        technique: String(r.technique_uid),
        name: String(r.name),
        findings: n(r.n),
        lastSeen: n(r.last),
      }));
    },

    async healthFindings(since: number, rules: readonly string[]): Promise<HealthFinding[]> {
      if (rules.length === 0) return [];
      const rows = await db.all(
        `SELECT function_arn, function_name, rule_id, time, raw FROM findings
         WHERE time >= ? AND rule_id IN (${rules.map(() => '?').join(', ')}) ORDER BY time, uid LIMIT 100000`,
        [since, ...rules],
      );
      return rows.map((r) => ({
        functionArn: String(r.function_arn),
        functionName: String(r.function_name),
        ruleId: String(r.rule_id),
        time: n(r.time),
        finding: JSON.parse(String(r.raw)) as unknown,
      }));
    },

    close: () => db.close(),
  };
}
