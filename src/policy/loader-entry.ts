/**
 * The policy-file loader as the sensor carries it: YAML parser, schema validator and
 * normalizer, built into a string inside dist/sensor.cjs and compiled only when a policy file
 * is given, so a sensor without one does not pay for parsing them at cold start.
 */

export { parseRuleFile } from '../detect/load';
export { formatPolicyError, parsePolicy } from './load';
