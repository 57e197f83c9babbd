/**
 * `warden instrument`: adds Warden to functions already deployed (the layer, the exec wrapper,
 * chaining one already set), or takes it out (`--remove`); `--dry-run` prints the change only.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import {
  type FunctionConfig,
  formatPlan,
  type InstrumentPlan,
  instrumentPlan,
} from '../deploy/instrument-plan';
import {
  addConnectionOptions,
  awsError,
  type ConnectionCliOptions,
  connectionOf,
  deployModule,
} from './aws-connection';

interface InstrumentCliOptions extends ConnectionCliOptions {
  layerArn: string;
  all?: boolean;
  mode?: 'monitor' | 'enforce';
  policy?: string;
  remove?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

interface Outcome {
  function: string;
  status: 'updated' | 'unchanged' | 'planned' | 'refused' | 'failed';
  reason?: string;
  changes?: Extract<InstrumentPlan, { ok: true }>['changes'];
  lastUpdateStatus?: string;
}

export function registerInstrument(program: Command): void {
  addConnectionOptions(
    program
      .command('instrument')
      .argument('[functions...]', 'function names or ARNs')
      .description(
        'Add Warden to deployed functions (UpdateFunctionConfiguration): the layer (an older version of it replaced), AWS_LAMBDA_EXEC_WRAPPER (another wrapper already set is chained), the settings given; --remove takes it out',
      )
      .requiredOption('--layer-arn <arn>', 'the Warden layer version (as `warden layer publish` printed it)')
      .option('--all', 'every function of the region on a Node.js runtime')
      .addOption(new Option('--mode <mode>', 'set WARDEN_MODE').choices(['monitor', 'enforce']))
      .option(
        '--policy <path>',
        "set WARDEN_POLICY (a path in the function's package, e.g. warden-policy.yaml)",
      )
      .option(
        '--remove',
        'take Warden out: its layer, its wrapper (a chained one put back), every WARDEN_* variable',
      )
      .option('--dry-run', 'print what would change, change nothing')
      .option('--json', 'print one JSON object per function'),
  ).action(async (names: string[], opts: InstrumentCliOptions) => {
    if (names.length === 0 && !opts.all) {
      process.stderr.write('warden instrument: name the functions, or --all (--help lists the options)\n');
      process.exit(2);
    }
    const deploy = deployModule();
    const connection = connectionOf(opts);
    let targets = names;
    if (opts.all) {
      try {
        targets = [...new Set([...names, ...(await deploy.nodeFunctions(connection))])];
      } catch (e) {
        throw new Error(`ListFunctions failed: ${awsError(e)}`);
      }
    }
    let failures = 0;
    for (const name of targets) {
      const outcome = await instrumentOne(deploy, connection, name, opts);
      if (outcome.status === 'refused' || outcome.status === 'failed') failures++;
      if (opts.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
    }
    if (!opts.json)
      process.stderr.write(
        `${targets.length} function(s)${opts.dryRun ? ', dry run: nothing changed' : ''}${failures ? `, ${failures} not changed (above)` : ''}\n`,
      );
    process.exitCode = failures > 0 ? 1 : 0;
  });
}

async function instrumentOne(
  deploy: ReturnType<typeof deployModule>,
  connection: ReturnType<typeof connectionOf>,
  name: string,
  opts: InstrumentCliOptions,
): Promise<Outcome> {
  const say = (text: string) => {
    if (!opts.json) process.stdout.write(text);
  };
  let config: FunctionConfig;
  try {
    config = (await deploy.functionConfiguration(connection, name)) as FunctionConfig;
  } catch (e) {
    say(`${name}: not changed: GetFunctionConfiguration failed: ${awsError(e)}\n`);
    return { function: name, status: 'failed', reason: `GetFunctionConfiguration failed: ${awsError(e)}` };
  }
  const plan = instrumentPlan(
    { ...config, FunctionName: config.FunctionName ?? name },
    {
      layerArn: opts.layerArn,
      ...(opts.mode ? { mode: opts.mode } : {}),
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.remove ? { remove: true } : {}),
    },
  );
  say(formatPlan(plan));
  if (!plan.ok) return { function: name, status: 'refused', reason: plan.reason };
  if (plan.changes.length === 0) return { function: name, status: 'unchanged', changes: [] };
  if (opts.dryRun) return { function: name, status: 'planned', changes: plan.changes };
  try {
    const r = await deploy.updateConfiguration(connection, {
      functionName: name,
      layers: plan.layers,
      variables: plan.variables,
      ...(plan.revisionId ? { revisionId: plan.revisionId } : {}),
    });
    say(`  updated${r.lastUpdateStatus ? ` (LastUpdateStatus ${r.lastUpdateStatus})` : ''}\n`);
    return {
      function: name,
      status: 'updated',
      changes: plan.changes,
      ...(r.lastUpdateStatus ? { lastUpdateStatus: r.lastUpdateStatus } : {}),
    };
  } catch (e) {
    say(`  not changed: UpdateFunctionConfiguration failed: ${awsError(e)}\n`);
    return {
      function: name,
      status: 'failed',
      changes: plan.changes,
      reason: `UpdateFunctionConfiguration failed: ${awsError(e)}`,
    };
  }
}
