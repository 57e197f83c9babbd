// Validates a finding against the OCSF class definitions vendored in test/fixtures/ocsf-schema
// (Apache-2.0 data from the OCSF project, copied from ../shared/ocsf-schema; incident_finding,
// user and group from the OCSF schema repository at tag 1.5.0, the version Warden writes): required
// attributes, known attribute names, enum values, and nested objects whose definition we have.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.mjs';

const DIR = join(ROOT, 'test', 'fixtures', 'ocsf-schema');
const defs = Object.fromEntries(
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(DIR, f), 'utf8'))]),
);
const dictionary = defs.dictionary.attributes;

function attrsOf(name, seen = new Set()) {
  const def = defs[name];
  if (!def || seen.has(name)) return { attrs: {}, complete: false };
  seen.add(name);
  let attrs = { ...def.attributes };
  let complete = true;
  delete attrs.$include;
  for (const inc of def.attributes?.$include ?? []) {
    const profile = inc.replace(/^profiles\//, '').replace(/\.json$/, '');
    if (defs[profile]) attrs = { ...defs[profile].attributes, ...attrs };
    else complete = false;
  }
  if (def.extends && def.extends !== 'object') {
    const parent = attrsOf(def.extends, seen);
    attrs = { ...parent.attrs, ...attrs };
    complete = complete && parent.complete;
  }
  return { attrs, complete };
}

function enumOf(attrName, local) {
  return local?.enum ?? dictionary[attrName]?.enum;
}

function typeOf(attrName, local) {
  return local?.type ?? dictionary[attrName]?.type;
}

function validateObject(obj, typeName, path, errors) {
  if (obj === null || typeof obj !== 'object') {
    errors.push(`${path}: expected an object (${typeName})`);
    return;
  }
  const { attrs, complete } = attrsOf(typeName);
  if (!defs[typeName]) return; // no definition vendored for this object type
  for (const [k, v] of Object.entries(attrs)) {
    if (v?.requirement === 'required' && !(k in obj)) errors.push(`${path}.${k}: required by ${typeName}`);
  }
  for (const [k, v] of Object.entries(obj)) {
    const local = attrs[k];
    if (!local && !dictionary[k]) {
      errors.push(`${path}.${k}: not an OCSF attribute`);
      continue;
    }
    if (!local && complete) errors.push(`${path}.${k}: not an attribute of ${typeName}`);
    const en = enumOf(k, local);
    if (en && k.endsWith('_id') && typeof v === 'number' && !(String(v) in en))
      errors.push(`${path}.${k}: ${v} not in enum`);
    const t = typeOf(k, local);
    if (t && !t.endsWith('_t') && defs[t] && k !== 'unmapped') {
      for (const [i, item] of (Array.isArray(v) ? v : [v]).entries()) {
        validateObject(item, t, Array.isArray(v) ? `${path}.${k}[${i}]` : `${path}.${k}`, errors);
      }
    }
    const isArray = local?.is_array ?? dictionary[k]?.is_array;
    if (isArray && !Array.isArray(v)) errors.push(`${path}.${k}: expected an array`);
    for (const item of isArray && Array.isArray(v) ? v : [v]) {
      if ((t === 'integer_t' || t === 'long_t' || t === 'timestamp_t') && !Number.isInteger(item))
        errors.push(`${path}.${k}: expected an integer`);
      if (t === 'string_t' && typeof item !== 'string') errors.push(`${path}.${k}: expected a string`);
    }
  }
}

/** Errors for a Detection Finding (class 2004), [] when it conforms. */
export function validateDetectionFinding(f) {
  const errors = [];
  if (f.class_uid !== 2004) errors.push(`class_uid ${f.class_uid} is not 2004`);
  if (f.category_uid !== 2) errors.push(`category_uid ${f.category_uid} is not 2 (Findings)`);
  if (f.type_uid !== f.class_uid * 100 + f.activity_id)
    errors.push('type_uid is not class_uid * 100 + activity_id');
  const { attrs } = attrsOf('detection_finding');
  for (const p of ['security_control', 'cloud']) Object.assign(attrs, defs[p].attributes);
  for (const [k, v] of Object.entries(attrs))
    if (v?.requirement === 'required' && !(k in f)) errors.push(`${k}: required`);
  for (const [k, v] of Object.entries(f)) {
    if (!(k in attrs)) {
      errors.push(`${k}: not an attribute of detection_finding`);
      continue;
    }
    const en = enumOf(k, attrs[k]);
    if (en && k.endsWith('_id') && !(String(v) in en)) errors.push(`${k}: ${v} not in enum`);
  }
  const sub = {
    finding_info: 'finding_info',
    metadata: 'metadata',
    evidences: 'evidences',
    resources: 'resource_details',
  };
  for (const [k, t] of Object.entries(sub)) {
    for (const [i, item] of (Array.isArray(f[k]) ? f[k] : [f[k]]).entries())
      validateObject(item, t, Array.isArray(f[k]) ? `${k}[${i}]` : k, errors);
  }
  if (f.cloud?.provider !== 'AWS') errors.push('cloud.provider is not AWS');
  return errors;
}

/** Errors for an Incident Finding (class 2005), [] when it conforms. */
export function validateIncidentFinding(f) {
  const errors = [];
  if (f.class_uid !== 2005) errors.push(`class_uid ${f.class_uid} is not 2005`);
  if (f.category_uid !== 2) errors.push(`category_uid ${f.category_uid} is not 2 (Findings)`);
  if (f.type_uid !== f.class_uid * 100 + f.activity_id)
    errors.push('type_uid is not class_uid * 100 + activity_id');
  const { attrs } = attrsOf('incident_finding');
  Object.assign(attrs, defs.cloud.attributes);
  for (const [k, v] of Object.entries(attrs))
    if (v?.requirement === 'required' && !(k in f)) errors.push(`${k}: required`);
  for (const group of defs.incident_finding.constraints?.at_least_one
    ? [defs.incident_finding.constraints.at_least_one]
    : [])
    if (!group.some((k) => k in f)) errors.push(`at least one of ${group.join(', ')} is required`);
  for (const [k, v] of Object.entries(f)) {
    if (!(k in attrs)) {
      errors.push(`${k}: not an attribute of incident_finding`);
      continue;
    }
    const en = enumOf(k, attrs[k]);
    if (en && k.endsWith('_id') && !(String(v) in en)) errors.push(`${k}: ${v} not in enum`);
  }
  // The objects whose definitions are vendored (cloud.json here is the profile, not the object).
  const sub = {
    finding_info_list: 'finding_info',
    metadata: 'metadata',
    assignee: 'user',
    assignee_group: 'group',
    attacks: 'attack',
  };
  for (const [k, t] of Object.entries(sub))
    if (k in f)
      for (const [i, item] of (Array.isArray(f[k]) ? f[k] : [f[k]]).entries())
        validateObject(item, t, Array.isArray(f[k]) ? `${k}[${i}]` : k, errors);
  if (f.cloud?.provider !== 'AWS') errors.push('cloud.provider is not AWS');
  if (!f.metadata?.profiles?.includes('incident')) errors.push('metadata.profiles lacks incident');
  return errors;
}
