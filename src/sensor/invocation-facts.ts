/**
 * What the detectors need from the invocation, computed once per invocation: the
 * attacker-controllable strings of its event (`detect/input.ts`), whether any of them looks
 * like code (then eval is watched for this invocation, see hooks/code.ts), and the paths that
 * `path.join` / `path.resolve` led out of their base with input (the path hook below fills it
 * while the invocation carries input with `..`).
 */
import { codeLooksLikeInput } from '../detect/detectors/code-injection';
import { type JoinEscape, joinEscape } from '../detect/detectors/path-traversal';
import { type TaintedInputs, type TaintedValue, taintedInputs } from '../detect/input';
import type { InvocationContext } from '../events/types';
import { inFunctionDir } from '../policy/task-root';
import { currentInvocation } from './context';
import { lock, wrapCall } from './guard';
import { getState } from './report';

interface Facts {
  inputs?: TaintedInputs;
  codeLike?: boolean;
  traversal?: TaintedValue[];
  /** Inputs that can steer a path: with `..`, or absolute. */
  pathLike?: string[];
  joins?: Map<string, JoinEscape>;
}

const facts = new WeakMap<InvocationContext, Facts>();
const MAX_JOINS = 256;

function factsOf(ctx: InvocationContext): Facts {
  let f = facts.get(ctx);
  if (!f) {
    f = {};
    facts.set(ctx, f);
  }
  return f;
}

/** The invocation's tainted inputs (extracted on first use; never throws). */
export function inputsOf(ctx: InvocationContext | undefined): TaintedInputs | undefined {
  if (!ctx || ctx.event === undefined) return undefined;
  const f = factsOf(ctx);
  if (!f.inputs) {
    try {
      f.inputs = taintedInputs(ctx.event);
    } catch {
      f.inputs = { trigger: 'unknown', values: [] };
    }
  }
  return f.inputs;
}

/** The invocation's input looks like code or a serialized function (eval is worth watching). */
export function inputLooksLikeCode(ctx: InvocationContext | undefined): boolean {
  if (!ctx) return false;
  const f = factsOf(ctx);
  f.codeLike ??= codeLooksLikeInput(inputsOf(ctx)?.values ?? []);
  return f.codeLike;
}

function traversalOf(ctx: InvocationContext): TaintedValue[] {
  const f = factsOf(ctx);
  f.traversal ??= (inputsOf(ctx)?.values ?? []).filter((v) => v.value.includes('..'));
  return f.traversal;
}

function inTaskRoot(requested: string): boolean {
  if (!requested.startsWith('/')) return !requested.includes('node_modules/');
  return inFunctionDir(requested, getState()?.policy.taskRoot());
}

/** Source files and secrets of the function's own, by name (the function-code-read rule). */
const CODE_FILE = /\.(?:[cm]?js|ts|map)$|(?:^|\/)\.env(?:\.|$)/;

/** Why a read the policy cannot refuse is judged all the same (see `readOfInterest`). */
export type ReadInterest = 'input' | 'code-file';

/**
 * Reads the default policy cannot refuse (not on procfs) skip judgement; these are still
 * judged: a path the invocation's input could have steered (`input`), and the function's code
 * files (`code-file`: the function-code-read rule, which only Node's module loader may read
 * without a finding).
 */
export function readOfInterest(requested: string): ReadInterest | undefined {
  const ctx = currentInvocation();
  if (ctx && ctx.event !== undefined) {
    const f = factsOf(ctx);
    if (f.joins?.has(requested)) return 'input';
    f.pathLike ??= (inputsOf(ctx)?.values ?? [])
      .filter((v) => v.value.includes('..') || v.value.startsWith('/'))
      .map((v) => v.value);
    for (const v of f.pathLike) if (requested.includes(v)) return 'input';
  }
  if (CODE_FILE.test(requested) && inTaskRoot(requested)) return 'code-file';
  return undefined;
}

export function detectFacts(ctx: InvocationContext | undefined) {
  return {
    inputs: () => inputsOf(ctx),
    ...(ctx && facts.get(ctx)?.joins ? { joins: facts.get(ctx)!.joins } : {}),
  };
}

/**
 * `path.join` and `path.resolve`, noting results that input with `..` led out of the base the
 * code joined it to. Costs one property read per call unless the invocation's input has `..`.
 */
export function installPathHooks(): void {
  // The module object itself (an `import * as` namespace would be a copy).
  const path = require('node:path') as typeof import('node:path');
  for (const name of ['join', 'resolve'] as const) {
    const orig = path[name];
    lock(
      path,
      name,
      wrapCall(orig, (fn, self, args) => {
        const result = fn.apply(self, args) as string;
        if (args.length < 2) return result;
        try {
          const ctx = currentInvocation();
          if (!ctx || ctx.event === undefined) return result;
          const values = traversalOf(ctx);
          if (values.length === 0) return result;
          const esc = joinEscape(args, result, values, name === 'resolve');
          if (esc) {
            const f = factsOf(ctx);
            f.joins ??= new Map();
            if (f.joins.size < MAX_JOINS) f.joins.set(result, esc);
          }
        } catch {
          // noting is best effort; the call's result stands
        }
        return result;
      }),
    );
  }
}
