/**
 * `warden rules`: develop detection rules. `list` shows the rules a Warden would run (the
 * defaults, with a user file merged over them), `fields` the fields conditions can test,
 * `check` validates a file, and `test <rules> <events.jsonl>` runs rules over recorded events
 * (sensor events, observation lines or Warden findings, optionally with the invocation's input
 * and the rules each line expects) and says which fired.
 */
import type { Command } from 'commander';
import { compileRules, mergeRules } from '../detect/compile-rules';
import { newDetectState, remember } from '../detect/context';
import { defaultRules } from '../detect/default-rules';
import { createEngine, describeEvent, type Engine, evaluate } from '../detect/engine';
import { FIELDS } from '../detect/fields';
import { type TaintedInputs, taintedInputs } from '../detect/input';
import type { OcsfObject } from '../events/ocsf';
import type { SensorEvent } from '../events/types';
import { observationFromFinding, parseObservation } from '../learn/observation';
import { compilePolicy } from '../policy/compile';
import { defaultPolicy } from '../policy/default-policy';
import { loadPolicyOrExit, readFileOrExit } from './load-policy-file';
import { loadRulesOrExit } from './load-rules-file';

const SURFACES = new Set(['process', 'network', 'files', 'code', 'secrets']);

/** The engine for a rules argument: a file merged over the defaults, or `default`; a bad file exits 2. */
function engineOrExit(rules: string | undefined): Engine {
  const file = rules && rules !== 'default' ? rules : undefined;
  return createEngine(file ? loadRulesOrExit(file).rules : compileRules(mergeRules(defaultRules(), [], '')));
}

interface TestLine {
  line: number;
  event: SensorEvent;
  package: string;
  input?: unknown;
  requestId?: string;
  expect?: string[];
}

function isSensorEvent(v: unknown): v is SensorEvent {
  return (
    !!v &&
    typeof v === 'object' &&
    SURFACES.has((v as { surface?: string }).surface ?? '') &&
    typeof (v as { op?: unknown }).op === 'string'
  );
}

/** One line of an events file: a sensor event, `{event, package?, input?, expect?}`, an observation or a finding. */
function readTestLine(record: unknown, line: number): TestLine | string {
  if (isSensorEvent(record)) return { line, event: record, package: '<function>' };
  const r = record as Record<string, unknown>;
  if (r && typeof r === 'object' && isSensorEvent(r.event) && r.warden === undefined) {
    const expect = r.expect;
    if (expect !== undefined && !(Array.isArray(expect) && expect.every((x) => typeof x === 'string')))
      return 'expect: must be a list of rule ids';
    return {
      line,
      event: r.event,
      package: typeof r.package === 'string' ? r.package : '<function>',
      ...('input' in r ? { input: r.input } : {}),
      ...(typeof r.requestId === 'string' ? { requestId: r.requestId } : {}),
      ...(Array.isArray(expect) ? { expect: expect as string[] } : {}),
    };
  }
  const obs = parseObservation(record) ?? observationFromFinding(record as OcsfObject);
  if (obs)
    return {
      line,
      event: obs.event,
      package: obs.package,
      ...(obs.requestId ? { requestId: obs.requestId } : {}),
    };
  return 'not a sensor event, an {"event": …} line, an observation or a Warden finding';
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('Develop and test detection rules');
  rules
    .command('list')
    .description('The rules Warden runs: the defaults, with --rules <file> merged over them')
    .option('--rules <file>', 'a rules file (YAML or JSON)')
    .option('--json', 'print the compiled rules as JSON')
    .action((opts: { rules?: string; json?: boolean }) => {
      const engine = engineOrExit(opts.rules);
      if (opts.json) {
        const out = engine.rules.map(({ test: _t, fields: _f, ...r }) => r);
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const sev = ['', 'info', 'low', 'medium', 'high', 'critical'];
      const rows = engine.rules.map((r) => [
        r.id,
        sev[r.severity]!,
        r.action,
        r.surfaces.join(','),
        r.mitre.map((m) => m.technique).join(','),
        r.detector ? `detector:${r.detector}` : r.source,
      ]);
      const head = ['ID', 'SEVERITY', 'ACTION', 'SURFACES', 'MITRE', 'SOURCE'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
      for (const row of [head, ...rows])
        process.stdout.write(
          `${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`,
        );
      process.stdout.write(`${engine.rules.length} rules\n`);
    });
  rules
    .command('fields')
    .description('The event fields a rule condition can test')
    .option('--json', 'print them as JSON lines: {name, type, surfaces, doc}')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        for (const [name, f] of Object.entries(FIELDS))
          process.stdout.write(
            `${JSON.stringify({ name, type: f.type, surfaces: f.surfaces, doc: f.doc })}\n`,
          );
        return;
      }
      for (const [name, f] of Object.entries(FIELDS))
        process.stdout.write(
          `${name.padEnd(28)} ${f.type.padEnd(9)} ${(f.surfaces === 'all' ? 'all' : f.surfaces.join(',')).padEnd(16)} ${f.doc}\n`,
        );
    });
  rules
    .command('check <file>')
    .description('Validate a rules file (exit 0 valid, 2 invalid with file:line: field: reason)')
    .action((file: string) => {
      const engine = engineOrExit(file);
      process.stdout.write(`${file}: ok (${engine.rules.length} rules with the defaults)\n`);
    });
  rules
    .command('test <rules> <events>')
    .description(
      'Run rules ("default" or a file merged over the defaults) over an events file (JSON lines: sensor events, {"event", "package", "input", "expect"} lines, observations or Warden findings); exit 1 when a line\'s "expect" is not met',
    )
    .option('--policy <file>', 'judge as under this policy (rules a policy can allow defer to it)')
    .option('--task-root <dir>', "the function's directory (LAMBDA_TASK_ROOT)", '/var/task')
    .option('--runtime-api <host:port>', 'the Runtime API address (AWS_LAMBDA_RUNTIME_API)', '127.0.0.1:9001')
    .option('--json', 'one JSON line per event: {line, fired: [{rule, action, reason}]}')
    .action(
      (
        rulesArg: string,
        eventsFile: string,
        opts: { policy?: string; json?: boolean; taskRoot: string; runtimeApi: string },
      ) => {
        const engine = engineOrExit(rulesArg);
        const text = readFileOrExit('events', eventsFile);
        const policy = compilePolicy(opts.policy ? loadPolicyOrExit(opts.policy) : defaultPolicy(), {
          runtimeApi: opts.runtimeApi,
          taskRoot: opts.taskRoot,
        });
        const state = newDetectState();
        const inputsByRequest = new Map<string, TaintedInputs>();
        let failed = 0;
        let events = 0;
        let fired = 0;
        text.split('\n').forEach((raw, i) => {
          const lineNo = i + 1;
          const line = raw.trim();
          if (!line || line.startsWith('#') || line.startsWith('//')) return;
          let record: unknown;
          try {
            record = JSON.parse(line);
          } catch (e) {
            process.stderr.write(`warden: ${eventsFile}:${lineNo}: not JSON: ${(e as Error).message}\n`);
            process.exit(2);
          }
          const t = readTestLine(record, lineNo);
          if (typeof t === 'string') {
            process.stderr.write(`warden: ${eventsFile}:${lineNo}: ${t}\n`);
            process.exit(2);
          }
          events++;
          // The input of an invocation holds for its later lines (same requestId).
          let inputs: TaintedInputs | undefined;
          if (t.input !== undefined) {
            inputs = taintedInputs(t.input);
            if (t.requestId) inputsByRequest.set(t.requestId, inputs);
          } else if (t.requestId) inputs = inputsByRequest.get(t.requestId);
          const ctx = {
            packageOf: () => t.package,
            policy,
            state,
            layer: 'sensor' as const,
            inputs: () => inputs,
          };
          const verdicts = evaluate(engine, t.event, ctx, { policyAllowed: opts.policy !== undefined });
          remember(state, t.event, () => t.package);
          fired += verdicts.length;
          const ids = verdicts.map((v) => v.ruleId);
          let miss = '';
          if (t.expect) {
            const missing = t.expect.filter((id) => !ids.includes(id));
            const extra = ids.filter((id) => !t.expect!.includes(id));
            if (missing.length || extra.length) {
              failed++;
              miss = ` ✗ expected [${t.expect.join(', ')}]${missing.length ? `, missing ${missing.join(', ')}` : ''}${extra.length ? `, unexpected ${extra.join(', ')}` : ''}`;
            }
          }
          if (opts.json) {
            process.stdout.write(
              `${JSON.stringify({ line: lineNo, event: describeEvent(t.event), fired: verdicts.map((v) => ({ rule: v.ruleId, action: v.action, severity: v.severity, reason: v.reason, ...(v.input ? { input: v.input } : {}) })), ...(miss ? { failed: miss.trim() } : {}) })}\n`,
            );
          } else {
            process.stdout.write(
              `${eventsFile}:${lineNo} ${describeEvent(t.event)}\n${verdicts.length ? verdicts.map((v) => `  ${v.action === 'deny' ? 'BLOCK' : 'ALERT'} ${v.ruleId}: ${v.reason}\n`).join('') : '  (no rule fired)\n'}${miss ? `  ${miss.trim()}\n` : ''}`,
            );
          }
        });
        if (!opts.json)
          process.stdout.write(
            `${events} events, ${fired} rule matches${failed ? `, ${failed} expectation(s) not met` : ''}\n`,
          );
        process.exitCode = failed ? 1 : 0;
      },
    );
}
