/**
 * An incident as an OCSF Incident Finding (class 2005, category Findings): its state as status,
 * its close reason as verdict, its findings' `finding_info` as `finding_info_list`, the function's
 * account and region as its cloud (its ARN in unmapped: the class has no resources). The
 * activity is Create for a new incident, Close for a closed one, else Update. Pure.
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
  o: { now: number; product: { name: string; version: string }; consoleUrl?: string },
): Json {
  const activity: [number, string] =
    incident.state === 'closed' ? [3, 'Close'] : incident.state === 'new' ? [1, 'Create'] : [2, 'Update'];
  const [statusId, status] = STATUS[incident.state];
  const infos = new Map<string, Json>();
  const attacks = new Map<string, Json>();
  for (const f of findings) {
    const info = obj(obj(f).finding_info);
    const uid = String(info.uid ?? obj(obj(f).metadata).uid ?? '');
    if (uid && !infos.has(uid)) infos.set(uid, info);
    for (const a of Array.isArray(info.attacks) ? info.attacks : []) {
      const key = `${String(obj(obj(a).tactic).uid ?? '')}/${String(obj(obj(a).technique).uid ?? '')}`;
      if (!attacks.has(key)) attacks.set(key, obj(a));
    }
  }
  const [, arnPartition, , region, account] = incident.functionArn.split(':');
  const partition = arnPartition ?? 'aws';
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
    // OCSF asks for an assignee or an assignee group: before anyone takes it, the unassigned queue.
    ...(incident.assignee
      ? { assignee: { name: incident.assignee } }
      : {
          assignee_group: {
            name: 'unassigned',
            desc: 'Nobody has taken this incident in the Warden console yet',
          },
        }),
    ...(attacks.size > 0 ? { attacks: [...attacks.values()] } : {}),
    desc: `${incident.title}: ${incident.findings} finding(s) in ${incident.invocations} invocation(s) of ${incident.functionName}`,
    finding_info_list: [...infos.values()],
    ...(o.consoleUrl ? { src_url: `${o.consoleUrl.replace(/\/$/, '')}/incidents/${incident.id}` } : {}),
    metadata: {
      version: OCSF_VERSION,
      uid: `${incident.id}:${incident.updated}`,
      correlation_uid: incident.id,
      product: { name: o.product.name, vendor_name: 'Warden', version: o.product.version },
      profiles: ['incident', 'cloud'],
      log_name: 'warden',
    },
    // Incident Finding has no resources: the function is in each finding (finding_info_list's
    // findings name it), its account and region in cloud, its ARN in unmapped.
    cloud: {
      provider: 'AWS',
      ...(region ? { region } : {}),
      ...(account ? { account: { uid: account, type: 'AWS Account', type_id: 10 } } : {}),
    },
    unmapped: {
      function_arn: incident.functionArn,
      function_name: incident.functionName,
      cloud_partition: partition,
      rules: incident.rules,
      packages: incident.packages,
      techniques: incident.techniques,
    },
  };
}
