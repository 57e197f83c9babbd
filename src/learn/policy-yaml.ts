/**
 * The learned policy as a person reviews it: YAML, every allow entry with a comment saying
 * what produced it and how often, lists sorted, nothing that depends on when or where it was
 * learned (re-learning the same events gives the same bytes, so it diffs well).
 */
import { Document, isMap, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Policy } from '../policy/types';
import type { LearnNotes } from './learn';

function compactList<T>(list: {
  default: string;
  allow: T[];
  alert: T[];
  deny: T[];
}): Record<string, unknown> {
  return {
    default: list.default,
    allow: list.allow,
    ...(list.alert.length ? { alert: list.alert } : {}),
    // Always written: a missing `deny` would load as the built-in default's.
    deny: list.deny,
  };
}

function plain(policy: Policy): Record<string, unknown> {
  return {
    version: 1,
    mode: policy.mode,
    ...(policy.learned ? { learned: policy.learned } : {}),
    onPolicyError: policy.onPolicyError,
    process: { ...compactList(policy.process), kill: policy.process.kill },
    network: {
      ...compactList(policy.network),
      runtimeApi: policy.network.runtimeApi,
      listen: policy.network.listen,
    },
    files: {
      read: compactList(policy.files.read),
      write: compactList(policy.files.write),
      exec: compactList(policy.files.exec),
    },
    code: {
      eval: policy.code.eval,
      wasm: policy.code.wasm,
      workers: policy.code.workers,
      inspector: policy.code.inspector,
      nativeAddons: compactList(policy.code.nativeAddons),
      modules: compactList(policy.code.modules),
    },
    secrets: compactList(policy.secrets),
    packages: policy.packages,
  };
}

function at(doc: Document, path: string[]): Node | undefined {
  return doc.getIn(path, true) as Node | undefined;
}

function comment(text: string): string {
  return ` ${text.replace(/\s*\n\s*/g, ' ')}`;
}

export function policyYaml(policy: Policy, notes: LearnNotes, header: string[]): string {
  const doc = new Document(plain(policy));
  doc.commentBefore = header.map((h) => ` ${h}`).join('\n');
  for (const [key, list] of Object.entries(notes)) {
    const path = key.split('.');
    if (key === 'packages') {
      const map = at(doc, ['packages']);
      if (!isMap(map)) continue;
      (map as YAMLMap).items.forEach((pair, i) => {
        const k = (pair as Pair<Node>).key;
        if (list[i] && k) k.commentBefore = comment(list[i]!);
      });
      continue;
    }
    const node = at(doc, path);
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (list[i]) (item as Node).commentBefore = comment(list[i]!);
      });
      continue;
    }
    // A scalar setting (code.eval): the comment goes on its key.
    const parent = at(doc, path.slice(0, -1));
    if (isMap(parent)) {
      const pair = (parent as YAMLMap).items.find(
        (p) => String((p.key as Node & { value?: unknown })?.toJSON?.() ?? p.key) === path.at(-1),
      );
      if (pair && list[0]) (pair.key as Node).commentBefore = comment(list[0]);
    }
  }
  // Short lists on one line: argument globs and package capabilities.
  const flow = (node: unknown) => {
    if (isSeq(node)) node.flow = true;
  };
  const allow = at(doc, ['process', 'allow']);
  if (isSeq(allow)) for (const item of allow.items) if (isMap(item)) flow(item.get('argv', true));
  const packages = at(doc, ['packages']);
  if (isMap(packages)) for (const pair of packages.items) flow(pair.value);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
