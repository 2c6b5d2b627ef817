/**
 * Reads a V8 CPU profile of a benchmark server and says where its time per
 * request goes: self and total time per function, and per kind of code (the
 * library, Node's internals, the garbage collector, ...).
 *
 * The profiler samples the main thread on the wall clock; on a shared
 * machine the sample times say little, but the share of samples does. So a
 * function's µs per request is its share of the non-idle samples times the
 * CPU time per request that `process.cpuUsage` measured in the same window
 * (which also counts the profiler's own overhead and other threads: read
 * the figures as an attribution, not as the unprofiled cost).
 *
 * @module
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

/** The parts of a `.cpuprofile` (Chrome DevTools protocol `Profiler.Profile`) read here. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

export type Category = 'library' | 'node' | 'gc' | 'native' | 'benchmark' | 'dependency' | 'other';

export interface FunctionCost {
  readonly name: string;
  readonly location: string;
  readonly category: Category;
  /** µs per request spent in the function itself. */
  readonly selfMicros: number;
  /** µs per request with the function anywhere on the stack (recursion counted once). */
  readonly totalMicros: number;
  readonly selfShare: number;
}

export interface ProfileSummary {
  readonly samples: number;
  readonly busySamples: number;
  readonly cpuMicrosPerRequest: number;
  readonly categories: Record<Category, number>;
  readonly functions: FunctionCost[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IDLE = new Set(['(idle)', '(root)']);

function categoryOf(name: string, url: string): Category {
  if (name === '(garbage collector)') return 'gc';
  if (url === '' && name.startsWith('(')) return 'native';
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/node_modules/')) return 'dependency';
  if (url.includes('/src/')) return 'library';
  if (url.includes('/bench/')) return 'benchmark';
  return url === '' ? 'native' : 'other';
}

function locationOf(url: string, line: number): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url;
  return `${path}:${line + 1}`;
}

/** Attributes the profile's busy samples to functions, as µs per request. */
export function summarise(profile: CpuProfile, cpuMicrosPerRequest: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (node: ProfileNode): string =>
    `${node.callFrame.functionName || '(anonymous)'}\u0000${locationOf(node.callFrame.url, node.callFrame.lineNumber)}`;

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const categoryOfKey = new Map<string, Category>();
  let busy = 0;
  for (const id of profile.samples) {
    const leaf = byId.get(id);
    if (leaf === undefined || IDLE.has(leaf.callFrame.functionName)) continue;
    busy++;
    const leafKey = keyOf(leaf);
    self.set(leafKey, (self.get(leafKey) ?? 0) + 1);
    const onStack = new Set<string>();
    for (let node: ProfileNode | undefined = leaf; node !== undefined; node = byId.get(parent.get(node.id) ?? -1)) {
      if (node.callFrame.functionName === '(root)') break;
      const key = keyOf(node);
      if (!categoryOfKey.has(key)) categoryOfKey.set(key, categoryOf(node.callFrame.functionName, node.callFrame.url));
      onStack.add(key);
    }
    for (const key of onStack) total.set(key, (total.get(key) ?? 0) + 1);
  }
  const perRequest = (count: number): number => (busy === 0 ? 0 : (count / busy) * cpuMicrosPerRequest);
  const categories: Record<Category, number> = {
    library: 0,
    node: 0,
    gc: 0,
    native: 0,
    benchmark: 0,
    dependency: 0,
    other: 0,
  };
  const functions: FunctionCost[] = [...total.keys()].map((key) => {
    const [name = '', location = ''] = key.split('\u0000');
    const category = categoryOfKey.get(key) ?? 'other';
    const selfCount = self.get(key) ?? 0;
    categories[category] += perRequest(selfCount);
    return {
      name,
      location,
      category,
      selfMicros: perRequest(selfCount),
      totalMicros: perRequest(total.get(key) ?? 0),
      selfShare: busy === 0 ? 0 : selfCount / busy,
    };
  });
  functions.sort((a, b) => b.selfMicros - a.selfMicros || b.totalMicros - a.totalMicros);
  return { samples: profile.samples.length, busySamples: busy, cpuMicrosPerRequest, categories, functions };
}
