/**
 * Findings and incidents as the CLI prints them for people (`warden demo`, `warden invoke`): one
 * line each, the evidence shortened to what a reader needs, incidents with their findings beneath.
 */
import type { GroupedIncident } from '../console/group-findings';

export interface Finding {
  time?: number;
  severity_id?: number;
  metadata: { correlation_uid?: string };
  finding_info: { title: string; analytic: { uid: string } };
  disposition: string;
  severity: string;
  evidences: Record<string, unknown>[];
  unmapped: { package: string };
}

export function paint(color: boolean) {
  const c = (code: number) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: c(31), green: c(32), yellow: c(33), dim: c(2), bold: c(1) };
}

export function evidenceText(f: Finding): string {
  const e = f.evidences[0] ?? {};
  const proc = e.process as { cmd_line?: string } | undefined;
  const file = e.file as { path?: string } | undefined;
  const dst = e.dst_endpoint as { ip?: string; port?: number; hostname?: string } | undefined;
  const data = e.data as { shell_commands?: string[]; requested?: string } | undefined;
  if (proc?.cmd_line) return data?.shell_commands ? `sh: ${data.shell_commands.join(' ; ')}` : proc.cmd_line;
  if (file?.path)
    return data?.requested && data.requested !== file.path ? `${data.requested} → ${file.path}` : file.path;
  if (dst) return `${dst.hostname ?? dst.ip}:${dst.port}`;
  return '';
}

const SEVERITY = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'];

/** Incidents, most severe first within their order of arrival, each with its findings beneath. */
export function incidentsText(
  groups: readonly GroupedIncident[],
  p: ReturnType<typeof paint>,
  indent = '  ',
): string[] {
  const out: string[] = [];
  for (const [n, { incident: i, findings }] of groups.entries()) {
    const what = `${i.findings} finding${i.findings === 1 ? '' : 's'}, ${i.invocations} invocation${i.invocations === 1 ? '' : 's'}`;
    out.push(
      `${indent}${p.bold(`#${n + 1}`)} ${(SEVERITY[i.severityId] ?? 'Unknown').padEnd(8)} ${i.title} ${p.dim(`— ${i.functionName}; ${what}; by ${i.packages.join(', ')}${i.techniques.length ? `; ${i.techniques.join(', ')}` : ''}`)}`,
    );
    for (const f of findings as Finding[])
      out.push(
        `${indent}     ${f.disposition.padEnd(9)} ${f.finding_info.analytic.uid.padEnd(34)} ${evidenceText(f).slice(0, 70)}`,
      );
  }
  return out;
}
