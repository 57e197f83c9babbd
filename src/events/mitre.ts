import type { Attack } from './types';

const TACTICS = {
  execution: { uid: 'TA0002', name: 'Execution' },
  credentialAccess: { uid: 'TA0006', name: 'Credential Access' },
  commandAndControl: { uid: 'TA0011', name: 'Command and Control' },
  defenseEvasion: { uid: 'TA0005', name: 'Defense Evasion' },
  collection: { uid: 'TA0009', name: 'Collection' },
  impact: { uid: 'TA0040', name: 'Impact' },
  persistence: { uid: 'TA0003', name: 'Persistence' },
  discovery: { uid: 'TA0007', name: 'Discovery' },
} as const;

function attack(tactic: keyof typeof TACTICS, uid: string, name: string): Attack {
  return { tactic: TACTICS[tactic], technique: { uid, name } };
}

/** MITRE ATT&CK tags per Warden rule family (ATT&CK Enterprise v16 ids). */
export const ATTACKS = {
  commandInterpreter: attack('execution', 'T1059', 'Command and Scripting Interpreter'),
  unixShell: attack('execution', 'T1059.004', 'Command and Scripting Interpreter: Unix Shell'),
  javascript: attack('execution', 'T1059.007', 'Command and Scripting Interpreter: JavaScript'),
  sharedModules: attack('execution', 'T1129', 'Shared Modules'),
  impairDefenses: attack('defenseEvasion', 'T1562.001', 'Impair Defenses: Disable or Modify Tools'),
  obfuscated: attack('defenseEvasion', 'T1027', 'Obfuscated Files or Information'),
  appLayerProtocol: attack('commandAndControl', 'T1071', 'Application Layer Protocol'),
  dnsProtocol: attack('commandAndControl', 'T1071.004', 'Application Layer Protocol: DNS'),
  cloudMetadata: attack(
    'credentialAccess',
    'T1552.005',
    'Unsecured Credentials: Cloud Instance Metadata API',
  ),
  credentialsInFiles: attack('credentialAccess', 'T1552.001', 'Unsecured Credentials: Credentials In Files'),
  unsecuredCredentials: attack('credentialAccess', 'T1552', 'Unsecured Credentials'),
  localData: attack('collection', 'T1005', 'Data from Local System'),
  dataManipulation: attack('impact', 'T1565.001', 'Data Manipulation: Stored Data Manipulation'),
  fileDiscovery: attack('discovery', 'T1083', 'File and Directory Discovery'),
  ingressToolTransfer: attack('commandAndControl', 'T1105', 'Ingress Tool Transfer'),
  reflectiveLoading: attack('defenseEvasion', 'T1620', 'Reflective Code Loading'),
  indicatorRemoval: attack('defenseEvasion', 'T1070.004', 'Indicator Removal: File Deletion'),
} as const;
