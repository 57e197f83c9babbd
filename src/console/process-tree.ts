/**
 * An incident's process tree, from its findings: the function's runtime at the root of each
 * invocation, every process started under it (a spawn finding names the child, its parent, its
 * command line), and under each process what it was seen doing (the rules that fired on it and
 * their evidence). Findings that describe the same spawn are one node. Pure.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};

export interface ProcessNode {
  /** The pid, or `?`… for a process whose pid was never known (a blocked start). */
  key: string;
  pid?: number;
  /** Its command line, or what it is (the function's runtime). */
  label: string;
  /** The rules that fired on starting it. */
  rules: string[];
  blocked: boolean;
  /** What it did: a rule and what the finding is about, in order. */
  actions: { rule: string; what: string; time: number }[];
  children: ProcessNode[];
}

/** Findings of one start (spawn, then the rules on it) are reported within this of each other. */
const SAME_START_MS = 250;

const pidOf = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined);

/** What a finding (not a spawn) is about, in a line. */
function actionOf(f: Json): string {
  const e = obj((f.evidences as unknown[] | undefined)?.[0]);
  const file = obj(e.file);
  const dst = obj(e.dst_endpoint);
  const data = obj(e.data);
  if (typeof file.path === 'string') return `${String(data.op ?? 'file')} ${file.path}`;
  if (dst.ip !== undefined || dst.hostname !== undefined)
    return `connect ${String(dst.hostname ?? dst.ip)}:${String(dst.port ?? '')}`;
  const q = obj(e.query);
  if (typeof q.hostname === 'string') return `resolve ${q.hostname}`;
  return String(data.api ?? obj(f.unmapped).op ?? '');
}

/** The roots (one per runtime process seen), each with its descendants. */
export function processTree(findings: readonly unknown[]): ProcessNode[] {
  const nodes = new Map<string, ProcessNode>();
  const parentOf = new Map<string, string>();
  const node = (key: string, init: Partial<ProcessNode>): ProcessNode => {
    let n = nodes.get(key);
    if (!n) {
      n = { key, label: '', rules: [], blocked: false, actions: [], children: [], ...init };
      nodes.set(key, n);
    }
    return n;
  };
  const pending = new Map<string, { key: string; time: number }>();
  const sorted = [...findings].map(obj).sort((a, b) => Number(a.time) - Number(b.time));
  for (const f of sorted) {
    const unmapped = obj(f.unmapped);
    const actor = pidOf(unmapped.pid);
    const rule = String(obj(obj(f.finding_info).analytic).uid ?? '');
    const e = obj((f.evidences as unknown[] | undefined)?.[0]);
    const proc = obj(e.process);
    const isSpawn = unmapped.surface === 'process' && typeof proc.cmd_line === 'string';
    if (isSpawn) {
      const pid = pidOf(proc.pid);
      // Without a pid (the sensor judges a start before it happens), the findings of one start
      // share its parent, invocation and command line, and come within moments of each other.
      const time = Number(f.time);
      const near = `?${String(actor)}|${String(obj(f.metadata).correlation_uid ?? '')}|${String(proc.cmd_line)}`;
      const earlier = pid === undefined ? pending.get(near) : undefined;
      const key =
        pid !== undefined
          ? String(pid)
          : earlier && time - earlier.time <= SAME_START_MS
            ? earlier.key
            : `${near}|${time}`;
      if (pid === undefined && earlier?.key !== key) pending.set(near, { key, time });
      const n = node(key, { ...(pid !== undefined ? { pid } : {}) });
      n.label ||= String(proc.cmd_line);
      if (!n.rules.includes(rule)) n.rules.push(rule);
      if (f.disposition === 'Blocked') n.blocked = true;
      const parent = pidOf(obj(proc.parent_process).pid) ?? actor;
      if (parent !== undefined && String(parent) !== key) parentOf.set(key, String(parent));
      continue;
    }
    const key = actor !== undefined ? String(actor) : '?';
    const n = node(key, { ...(actor !== undefined ? { pid: actor } : {}) });
    const what = actionOf(f);
    if (!n.actions.some((a) => a.rule === rule && a.what === what))
      n.actions.push({ rule, what, time: Number(f.time) });
  }
  // A parent nobody described is the runtime (or a process seen only as a parent).
  for (const parent of parentOf.values())
    if (!nodes.has(parent)) node(parent, { pid: Number(parent), label: '' });
  for (const n of nodes.values()) n.label ||= `node (the function's runtime, pid ${n.pid ?? '?'})`;
  const roots: ProcessNode[] = [];
  for (const [key, n] of nodes) {
    const parent = parentOf.get(key);
    const p = parent !== undefined ? nodes.get(parent) : undefined;
    if (p && !isAncestor(n, p, parentOf)) p.children.push(n);
    else roots.push(n);
  }
  return roots;
}

/** Whether `n` is `p` or above it (a loop in what findings claim must not hide processes). */
function isAncestor(n: ProcessNode, p: ProcessNode, parentOf: Map<string, string>): boolean {
  const seen = new Set<string>();
  for (let k: string | undefined = p.key; k !== undefined && !seen.has(k); k = parentOf.get(k)) {
    if (k === n.key) return true;
    seen.add(k);
  }
  return false;
}
