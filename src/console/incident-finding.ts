/**
 * An incident as an OCSF Incident Finding (class 2005, category Findings): its state as status,
 * its close reason as verdict, its findings' `finding_info` as `finding_info_list`, the function
 * as the resource. The activity is Create for a new incident, Close for a closed one, else Update.
 * Pure.
 */
import { OCSF_VERSION } from '../events/ocsf';
import type { Incident } from './store';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};

/** Incident Finding's status_id for each console state. */
const STATUS: Record<Incident['state'], [number, string]> = {
  new: [1, 'New'],
  in_progress: [2, 'In Progress'],
  resolved: [4, 'Resolved'],
  closed: [5, 'Closed'],
};
/** Its verdict_id for each close reason. */
const VERDICT: Record<string, [number, string]> = {
  false_positive: [1, 'False Positive'],
  true_positive: [2, 'True Positive'],
  expected_behaviour: [5, 'Benign'],
  test: [6, 'Test'],
};
const SEVERITY = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'];

export function toIncidentFinding(
  incident: Incident,
  findings: readonly unknown[],
  o: { now: number; product: { name: string; version: string } },
): Json {
  const activity: [number, string] =
    incident.state === 'closed' ? [3, 'Close'] : incident.state === 'new' ? [1, 'Create'] : [2, 'Update'];
  const [statusId, status] = STATUS[incident.state];
  const infos = new Map<string, Json>();
  for (const f of findings) {
    const info = obj(obj(f).finding_info);
    const uid = String(info.uid ?? obj(obj(f).metadata).uid ?? '');
    if (uid && !infos.has(uid)) infos.set(uid, info);
  }
  const [partition, region] = [
    incident.functionArn.split(':')[1] ?? 'aws',
    incident.functionArn.split(':')[3],
  ];
  return {
    class_uid: 2005,
    class_name: 'Incident Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: activity[0],
    activity_name: activity[1],
    type_uid: 200500 + activity[0],
    type_name: `Incident Finding: ${activity[1]}`,
    time: o.now,
    start_time: incident.firstSeen,
    end_time: incident.lastSeen,
    severity_id: incident.severityId,
    severity: SEVERITY[incident.severityId] ?? 'Unknown',
    status_id: statusId,
    status,
    ...(incident.reason && VERDICT[incident.reason]
      ? { verdict_id: VERDICT[incident.reason]?.[0], verdict: VERDICT[incident.reason]?.[1] }
      : {}),
    ...(incident.assignee ? { assignee: { name: incident.assignee } } : {}),
    desc: `${incident.title}: ${incident.findings} finding(s) in ${incident.invocations} invocation(s) of ${incident.functionName}`,
    finding_info_list: [...infos.values()],
    metadata: {
      version: OCSF_VERSION,
      uid: `${incident.id}:${incident.updated}`,
      correlation_uid: incident.id,
      product: { name: o.product.name, vendor_name: 'Warden', version: o.product.version },
      profiles: ['incident', 'cloud'],
      log_name: 'warden',
    },
    resources: [
      {
        uid: incident.functionArn,
        name: incident.functionName,
        type: 'AWS::Lambda::Function',
        cloud_partition: partition,
        ...(region ? { region } : {}),
      },
    ],
    cloud: { provider: 'AWS', ...(region ? { region } : {}) },
    unmapped: { rules: incident.rules, packages: incident.packages, techniques: incident.techniques },
  };
}
