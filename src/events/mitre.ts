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
  nonStandardPort: attack('commandAndControl', 'T1571', 'Non-Standard Port'),
} as const;

/** ATT&CK Enterprise tactics by id (the ones Warden's rules may tag). */
export const TACTIC_NAMES: Readonly<Record<string, string>> = {
  TA0001: 'Initial Access',
  TA0002: 'Execution',
  TA0003: 'Persistence',
  TA0004: 'Privilege Escalation',
  TA0005: 'Defense Evasion',
  TA0006: 'Credential Access',
  TA0007: 'Discovery',
  TA0008: 'Lateral Movement',
  TA0009: 'Collection',
  TA0010: 'Exfiltration',
  TA0011: 'Command and Control',
  TA0040: 'Impact',
};

/** ATT&CK Enterprise techniques by id (v16) that rules may tag; a rule naming another is rejected. */
export const TECHNIQUE_NAMES: Readonly<Record<string, string>> = {
  T1003: 'OS Credential Dumping',
  'T1003.007': 'OS Credential Dumping: Proc Filesystem',
  T1005: 'Data from Local System',
  T1027: 'Obfuscated Files or Information',
  T1041: 'Exfiltration Over C2 Channel',
  T1048: 'Exfiltration Over Alternative Protocol',
  'T1048.003': 'Exfiltration Over Alternative Protocol: Exfiltration Over Unencrypted Non-C2 Protocol',
  T1059: 'Command and Scripting Interpreter',
  'T1059.004': 'Command and Scripting Interpreter: Unix Shell',
  'T1059.006': 'Command and Scripting Interpreter: Python',
  'T1059.007': 'Command and Scripting Interpreter: JavaScript',
  T1068: 'Exploitation for Privilege Escalation',
  T1071: 'Application Layer Protocol',
  'T1071.001': 'Application Layer Protocol: Web Protocols',
  'T1071.004': 'Application Layer Protocol: DNS',
  T1082: 'System Information Discovery',
  T1083: 'File and Directory Discovery',
  T1090: 'Proxy',
  T1095: 'Non-Application Layer Protocol',
  T1105: 'Ingress Tool Transfer',
  T1129: 'Shared Modules',
  T1190: 'Exploit Public-Facing Application',
  T1203: 'Exploitation for Client Execution',
  T1496: 'Resource Hijacking',
  'T1496.001': 'Resource Hijacking: Compute Hijacking',
  T1528: 'Steal Application Access Token',
  T1552: 'Unsecured Credentials',
  'T1552.001': 'Unsecured Credentials: Credentials In Files',
  'T1552.005': 'Unsecured Credentials: Cloud Instance Metadata API',
  T1554: 'Compromise Host Software Binary',
  'T1562.001': 'Impair Defenses: Disable or Modify Tools',
  'T1565.001': 'Data Manipulation: Stored Data Manipulation',
  T1567: 'Exfiltration Over Web Service',
  T1571: 'Non-Standard Port',
  T1620: 'Reflective Code Loading',
  'T1070.004': 'Indicator Removal: File Deletion',
};

/** The Attack object of a tactic and technique id (names from the tables above). */
export function attackOf(tactic: string, technique: string): Attack {
  return {
    tactic: { uid: tactic, name: TACTIC_NAMES[tactic] ?? tactic },
    technique: { uid: technique, name: TECHNIQUE_NAMES[technique] ?? technique },
  };
}
