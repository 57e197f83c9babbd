/**
 * The MITRE ATT&CK matrix of what the fleet's findings were tagged with: a column per
 * Enterprise tactic (in ATT&CK's order), a cell per technique seen under it (findings, when
 * last), and, greyed, the techniques Warden's built-in rules and policy findings can tag that
 * were not seen — so an empty column reads as "not seen", not "not covered". Pure.
 */

import { defaultRules } from '../detect/default-rules';
import { ATTACKS, TACTIC_NAMES, TECHNIQUE_NAMES } from '../events/mitre';
import type { AttackSeen } from './store';

/** ATT&CK Enterprise tactics, in the matrix's order. */
export const TACTIC_ORDER = [
  'TA0043',
  'TA0042',
  'TA0001',
  'TA0002',
  'TA0003',
  'TA0004',
  'TA0005',
  'TA0006',
  'TA0007',
  'TA0008',
  'TA0009',
  'TA0011',
  'TA0010',
  'TA0040',
] as const;

const MORE_TACTICS: Record<string, string> = { TA0043: 'Reconnaissance', TA0042: 'Resource Development' };

export interface MatrixCell {
  technique: string;
  name: string;
  findings: number;
  lastSeen: number;
}

export interface MatrixColumn {
  tactic: string;
  name: string;
  cells: MatrixCell[];
}

/** Every (tactic, technique) Warden's own rules and policy verdicts can tag. */
export function coveredTechniques(): { tactic: string; technique: string }[] {
  const out = new Map<string, { tactic: string; technique: string }>();
  const add = (tactic: string, technique: string) => out.set(`${tactic}/${technique}`, { tactic, technique });
  for (const a of Object.values(ATTACKS)) add(a.tactic.uid, a.technique.uid);
  for (const rule of defaultRules()) for (const m of rule.mitre ?? []) add(m.tactic, m.technique);
  return [...out.values()];
}

/** The matrix: every tactic, each with the techniques seen (most findings first) then those covered but not seen. */
export function attackMatrix(
  seen: readonly AttackSeen[],
  covered: readonly { tactic: string; technique: string }[],
): MatrixColumn[] {
  const tactics = [
    ...TACTIC_ORDER,
    ...new Set(seen.map((s) => s.tactic).filter((t) => !TACTIC_ORDER.includes(t as never))),
  ];
  return tactics.map((tactic) => {
    const here = seen
      .filter((s) => s.tactic === tactic)
      .sort((a, b) => b.findings - a.findings || a.technique.localeCompare(b.technique));
    const seenIds = new Set(here.map((s) => s.technique));
    const quiet = covered
      .filter((c) => c.tactic === tactic && !seenIds.has(c.technique))
      .map((c) => c.technique)
      .sort();
    return {
      tactic,
      name: TACTIC_NAMES[tactic] ?? MORE_TACTICS[tactic] ?? (tactic || 'No tactic'),
      cells: [
        ...here.map((s) => ({
          technique: s.technique,
          name: s.name,
          findings: s.findings,
          lastSeen: s.lastSeen,
        })),
        ...[...new Set(quiet)].map((t) => ({
          technique: t,
          name: TECHNIQUE_NAMES[t] ?? t,
          findings: 0,
          lastSeen: 0,
        })),
      ],
    };
  });
}
