/**
 * `warden learn`: run events through the sandbox in learning mode (or read what deployed
 * functions reported), and write the least-privilege policy that allows exactly that, in
 * enforce mode, as commented YAML. Exit 0 when the policy was written, 2 for bad usage (one
 * line), 1 for a sandbox fault.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { probe } from '../extension/watch-setup';
import { countEntries, learnPolicy } from '../learn/learn';
import { mergeLearned } from '../learn/merge';
import { type Observation, observationFromFinding, readObservationLines } from '../learn/observation';
import { policyYaml } from '../learn/policy-yaml';
import { learnedHeader, platformPaths } from '../learn/promote';
import { type InvocationWindow, observationsFromTrace } from '../learn/traced-observations';
import { nameservers } from '../net/nameservers';
import { compiledJson } from '../policy/compiled';
import { learningPolicy } from '../policy/learning-policy';
import { localSettings } from '../sandbox/environment';
import { runSandbox } from '../sandbox/run';
import type { InvokeResult } from '../sandbox/sandbox';
import { readTrace, syscallTraceAvailable } from '../sandbox/syscall-trace';
import { type InvokeCliOptions, runCommand, sandboxSetup, UsageError } from './invoke';
import { loadPolicyOrExit } from './load-policy-file';

export interface LearnCliOptions
  extends Omit<InvokeCliOptions, 'policy' | 'mode' | 'findings' | 'warden' | 'handler'> {
  handler?: string;
  out: string;
  json?: boolean;
  merge?: string;
  from: string[];
  observations?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** A bar on a TTY, nothing otherwise: `[#####.....] 5/10 events`. */
function progress(total: number): { step(status: string): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let n = 0;
  const draw = (status: string) => {
    const width = 24;
    const filled = Math.round((n / Math.max(total, 1)) * width);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total} events ${status}`.padEnd(70),
    );
  };
  if (tty) draw('starting the sandbox');
  return {
    step(status) {
      n++;
      if (tty) draw(status);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** A file's first line when it starts with `#!`. */
function shebangLine(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, n).toString('latin1');
    return text.startsWith('#!') ? text.split('\n')[0] : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

async function observeInSandbox(
  functionDir: string,
  o: LearnCliOptions,
): Promise<{
  observations: Observation[];
  failed: number;
  invocations: number;
  failures: InvokeResult[];
  nodeBin: string;
  traced: boolean;
}> {
  if (!o.handler) throw new UsageError('--handler <file.export> is required with --event');
  const setup = sandboxSetup(functionDir, { ...o, handler: o.handler });
  const work = mkdtempSync(path.join(tmpdir(), 'warden-learn-'));
  const obsFile = path.join(work, 'observations.jsonl');
  const observations: Observation[] = [];
  const bar = progress(setup.events.length);
  let failed = 0;
  const failures: InvokeResult[] = [];
  // Every exec and connection of the runtime's descendants, however brief (strace); without it,
  // the extension's polling view, which can miss a child that lives a millisecond.
  const traced = syscallTraceAvailable();
  if (!traced)
    process.stderr.write(
      'warden learn: strace is not available here: children that live less than a polling interval may be missed (install strace)\n',
    );
  const tracePrefix = path.join(work, 'trace', 't');
  mkdirSync(path.dirname(tracePrefix));
  const windows: InvocationWindow[] = [];
  let invokeStart = 0;
  let sandboxEnv: Record<string, string> = {};
  try {
    const policy = learningPolicy();
    await runSandbox({
      packageRoot: setup.root,
      functionDir,
      settings: localSettings({
        functionName: o.functionName ?? path.basename(path.resolve(functionDir)),
        handler: o.handler,
        memoryMb: setup.memoryMb,
        timeoutSec: setup.timeoutSec,
        region: process.env.AWS_REGION || 'us-east-1',
        runtime: setup.runtime,
      }),
      nodeBin: setup.nodeBin,
      client: setup.client,
      events: setup.events,
      // The extension records what child processes run (the sensor sees only their start).
      layer: { policy, policyJson: compiledJson(policy), extension: true },
      extraLayers: o.layer,
      userEnv: { ...setup.userEnv, WARDEN_LEARN: obsFile },
      ...(traced ? { traceSyscalls: tracePrefix } : {}),
      onStart: (sandbox) => {
        sandboxEnv = sandbox.functionEnvironment();
      },
      beforeInvoke: async () => {
        invokeStart = Date.now();
      },
      onResult: (r) => {
        // An init run at this invoke's start (the first, or after a reset) is the init phase's.
        windows.push({
          requestId: r.requestId,
          start: invokeStart + Math.ceil(r.initDurationMs ?? 0),
          end: Date.now(),
        });
        if (r.status !== 'success') {
          failed++;
          failures.push(r);
        }
        bar.step(r.status);
      },
      onFinding: (line) => {
        // The extension's view: processes a shell or a binary started, which the sensor in the
        // runtime cannot see (the trace's view, when there is one, is complete).
        if (traced) return;
        try {
          const obs = observationFromFinding(JSON.parse(line));
          if (obs?.layer === 'extension' && obs.event.surface === 'process') observations.push(obs);
        } catch {
          // not a finding line
        }
      },
      onLog: (source, line) => {
        if (process.env.WARDEN_LEARN_DEBUG) process.stderr.write(`[${source}] ${line}\n`);
      },
    });
    bar.done();
    if (traced)
      observations.push(
        ...observationsFromTrace(readTrace(tracePrefix), {
          windows,
          cwd: realOrSelf(functionDir),
          pathVar: sandboxEnv.PATH ?? '',
          probe,
          shebang: shebangLine,
          resolvers: nameservers(),
        }),
      );
    if (existsSync(obsFile))
      observations.push(...readObservationLines(readFileSync(obsFile, 'utf8')).observations);
    if (o.observations)
      writeFileSync(o.observations, observations.map((x) => `${JSON.stringify(x)}\n`).join(''));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { observations, failed, invocations: setup.events.length, failures, nodeBin: setup.nodeBin, traced };
}

/**
 * Lambda's errors for a handler that did not load (its module, its export, its syntax, its
 * name, or the runtime exiting during init): nothing the function does was seen.
 */
const LOAD_ERRORS = new Set([
  'Runtime.ImportModuleError',
  'Runtime.HandlerNotFound',
  'Runtime.UserCodeSyntaxError',
  'Runtime.MalformedHandlerName',
  'Runtime.ExitError',
]);

/** Why the sandbox run taught nothing to learn from, if so: the handler did not load, or no invocation succeeded. */
export function nothingLearned(failures: readonly InvokeResult[], ran: number): string | undefined {
  const describe = (r: InvokeResult) =>
    `${r.error?.errorType ?? r.status}: ${(r.error?.errorMessage ?? '').split('\n')[0]?.slice(0, 160)}`;
  const load = failures.find((r) => r.error && LOAD_ERRORS.has(r.error.errorType));
  if (load) return `the handler did not load (${describe(load)})`;
  if (ran > 0 && failures.length >= ran)
    return `every one of the ${ran} invocation(s) failed (first: ${describe(failures[0] as InvokeResult)})`;
  return undefined;
}

export async function runLearn(functionDir: string | undefined, o: LearnCliOptions): Promise<number> {
  if (!functionDir && o.from.length === 0)
    throw new UsageError(
      'give a function directory with --event, or --from <findings-or-observations.jsonl>',
    );
  if (functionDir && o.event.length === 0)
    throw new UsageError('at least one --event <file.json> is required to learn in the sandbox');
  const outDir = path.dirname(path.resolve(o.out));
  if (!existsSync(outDir) || !statSync(outDir).isDirectory())
    throw new UsageError(`--out ${o.out}: directory ${outDir} does not exist`);
  const existing = o.merge ? loadPolicyOrExit(o.merge) : undefined;
  const observations: Observation[] = [];
  let skipped = 0;
  for (const f of o.from) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read --from ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const read = readObservationLines(text);
    if (read.observations.length === 0)
      throw new UsageError(`--from ${f}: no Warden observations or findings in it`);
    observations.push(...read.observations);
    skipped += read.skipped;
  }
  let failed = 0;
  let ran = 0;
  let nodeBin: string | undefined;
  // Whether children were observed completely (strace), or only through the extension's polling.
  let traced: boolean | null = null;
  if (functionDir) {
    const r = await observeInSandbox(functionDir, o);
    // A policy learned from a function that never ran allows nothing it needs: none is written.
    const why = nothingLearned(r.failures, r.invocations);
    if (why) {
      process.stderr.write(`warden learn: ${why}: nothing learned, no policy written\n`);
      return 1;
    }
    observations.push(...r.observations);
    failed = r.failed;
    ran = r.invocations;
    nodeBin = r.nodeBin;
    traced = r.traced;
  }
  const taskRoots = functionDir ? [path.resolve(functionDir), realOrSelf(path.resolve(functionDir))] : [];
  let result = learnPolicy(observations, {
    taskRoots: [...taskRoots, '/var/task'],
    platformPaths: platformPaths(),
    invocations: ran,
    ...(nodeBin ? { nodePaths: [nodeBin, realOrSelf(nodeBin)] } : {}),
  });
  if (existing && o.merge) result = mergeLearned(existing, result, path.basename(o.merge));
  const sources = [
    ...(functionDir ? [`${ran} event(s) run in the local sandbox`] : []),
    ...o.from.map((f) => `observations from ${path.basename(f)}`),
    ...(o.merge ? [`merged into ${path.basename(o.merge)}`] : []),
  ];
  const header = learnedHeader(sources);
  try {
    writeFileSync(o.out, policyYaml(result.policy, result.notes, header));
  } catch (e) {
    throw new UsageError(
      `cannot write --out ${o.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const natives = result.policy.code.nativeAddons.allow;
  if (natives.length > 0)
    process.stderr.write(
      `warden learn: WARNING: the policy allows ${natives.length} native addon(s) (${natives.map((n) => n.path).join(', ')}): what native code does inside the process (files, connections, processes through libc) is invisible to the sensor; only the watcher judges its processes and connections from outside. Review them.\n`,
    );
  if (o.json)
    process.stdout.write(
      `${JSON.stringify({
        out: path.resolve(o.out),
        entries: countEntries(result.policy),
        observations: result.stats.observations,
        invocations: result.stats.invocations,
        failedInvocations: failed,
        skippedLines: skipped,
        nativeAddons: natives.map((n) => n.path),
        completeObservation: traced,
      })}\n`,
    );
  process.stderr.write(
    `warden learn: ${countEntries(result.policy)} entries from ${result.stats.observations} observation(s) of ${result.stats.invocations} invocation(s) → ${o.out}${failed ? ` (${failed} invoke(s) did not succeed: their behaviour is in the policy too)` : ''}${skipped ? ` (${skipped} line(s) of --from input were not Warden records)` : ''}\n`,
  );
  return 0;
}

export function registerLearn(program: Command): void {
  program
    .command('learn [function-dir]')
    .description(
      "Learn a function's behaviour (events run in the local sandbox, or --from what deployed functions reported) and write its least-privilege policy",
    )
    .option('--handler <file.export>', 'the function handler, as Lambda names it')
    .option('--event <file.json>', 'an event to learn from (repeatable, in order)', collect, [])
    .requiredOption('--out <policy.yaml>', 'where the learned policy is written')
    .option('--merge <policy>', 'add what is learned to this existing policy')
    .option(
      '--from <file.jsonl>',
      'observations or monitor-mode findings (JSON lines) to learn from (repeatable)',
      collect,
      [],
    )
    .option('--layer <dir>', 'a further layer, merged over the Warden layer (repeatable)', collect, [])
    .option('--observations <file.jsonl>', 'also keep the raw observations of the sandbox run here')
    .option('--timeout <seconds>', 'function timeout', '10')
    .option('--memory <MB>', 'function memory size', '256')
    .option('--env <KEY=VALUE>', 'a function environment variable (repeatable)', collect, [])
    .option('--runtime <id>', 'Lambda runtime (default: the newest installed)')
    .option('--client <kind>', 'runtime client: aws or builtin')
    .option('--function-name <name>', 'the function name (default: the directory name)')
    .option(
      '--json',
      'also print a summary on stdout as one JSON object: {out, entries, observations, invocations, failedInvocations, skippedLines, nativeAddons, completeObservation}',
    )
    .action((dir: string | undefined, opts: LearnCliOptions) =>
      runCommand('learn', () => runLearn(dir, opts)),
    );
}
