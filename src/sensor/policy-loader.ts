import type { RuleSpec } from '../detect/types';
import type { PolicyError, PolicyLoadResult } from '../policy/load';
import { compileChunk } from './chunk';

export interface PolicyLoaderModule {
  parsePolicy(file: string, text: string): PolicyLoadResult;
  formatPolicyError(e: PolicyError): string;
  parseRuleFile(
    file: string,
    text: string,
    known: ReadonlySet<string>,
  ): { ok: true; rules: RuleSpec[] } | { ok: false; error: PolicyError };
}

/**
 * The policy loader (src/policy/loader-entry.ts), compiled for each use and not kept (start-up
 * needs it once or twice); YAML only if asked for.
 */
export function policyLoader(): PolicyLoaderModule {
  let yaml: unknown;
  const req = (id: string) => {
    if (id !== 'yaml') return require(id);
    yaml ??= compileChunk('yaml', require);
    return yaml;
  };
  return compileChunk<PolicyLoaderModule>('policy-loader', req);
}
