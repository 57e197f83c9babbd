import type { FunctionResource } from './ocsf';

/** The function as an invocation names it: the invoked ARN (alias or version included) over the base. */
export function resourceOfInvocation(base: FunctionResource, arn: string | undefined): FunctionResource {
  if (!arn) return base;
  const parts = arn.split(':');
  return {
    ...base,
    arn,
    name: parts[6] ?? base.name,
    region: parts[3] || base.region,
    version: parts[7] ?? base.version,
  };
}
