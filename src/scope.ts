/**
 * The snapshot machinery behind ContextVar, Token, Context and the TC39
 * facade; the public classes are thin faces over it. The model
 * (docs/semantics.md) in five lines:
 * - a Scope is what the runtime carries from a frame to the work the frame
 *   schedules (S1): a Mapping of variable -> Cell, and the Flow it belongs to;
 * - `set` puts a new Cell in a new Scope, current for the rest of the frame (S2);
 * - `reset` undoes the Cell: every Scope holding it (the one the set made and
 *   every one made over it) reads the variable as it was before the set; the
 *   frame that resets reads Python's exact old value (S3);
 * - a Flow (a Context, or the process root) records each write per variable (S4);
 *   a copy freezes: it reads a Cell as it was when the copy was taken;
 * - `set` returns one {@link SetRecord} of what it did; `undo` takes it back.
 *
 * Invariants, each stated where it is kept:
 * - a Cell's value never changes; only `undo` changes a Cell, once;
 * - nothing links a Cell to an older one until its set is undone, and then
 *   only to a Cell that was live at that moment (S9): however many sets and
 *   resets a flow makes, a read walks no more undone Cells than there were
 *   sets open at once, and nothing older stays reachable;
 * - the runtime storage only ever holds Scopes made here.
 *
 * @module
 */
import { UnsupportedRuntimeError } from './errors.ts';
import { Hamt, type HamtKey } from './hamt.ts';
import { createStorage } from './runtime/index.ts';
import type { ScopeStorage, StorageKind } from './runtime/storage.ts';

/** Marks "no value" in a Cell (shared by every copy of the library in a process). */
export const NO_VALUE: unique symbol = Symbol.for('contextvars.noValue') as never;

/**
 * One variable's value as one `set` made it. While its set can still be
 * undone it is `open`; once undone, `before` is the Cell that held the
 * variable before the set, and readers follow it (S3).
 */
export class Cell {
  readonly value: unknown;
  open: boolean;
  before: Cell | null = null;
  /**
   * The clock tick of the undo; copies taken before it still read `value`.
   * Read only once `before` is set; a small integer until then (a double
   * field would box a number beside every Cell).
   */
  undoneAt = 0;

  constructor(value: unknown, open: boolean) {
    this.value = value;
    this.open = open;
  }
}

/** The empty Cell: what `before` points to when the variable had no value (never undone). */
const UNSET = new Cell(NO_VALUE, false);

/** Every variable that has a value, with the Cell that holds it. */
export type Mapping = Hamt<HamtKey, Cell>;

const EMPTY: Mapping = Hamt.empty();

/**
 * The state of one flow (S4): the latest Cell of each variable written in
 * it, and whether it is being run on the current stack. A Context owns one.
 */
export class Flow {
  mapping: Mapping;
  /** Reads of `mapping` ignore undos after this tick: the moment a copy was taken. */
  frozenAt: number;
  /** Whether `mapping` may hold Cells that an undo can still change. */
  open: boolean;
  running = false;
  /** The Scope the last `run` entered, reused while `mapping` is unchanged. */
  entry: Scope | null = null;
  /** False for the process root, which keeps no record: nothing reads it. */
  readonly records: boolean;
  /** The asyncio task whose flow this is (contextvars/asyncio's currentTask), if any. */
  task: object | null = null;

  constructor(mapping: Mapping, frozenAt: number, open: boolean, records = true) {
    this.mapping = mapping;
    this.frozenAt = frozenAt;
    this.open = open;
    this.records = records;
  }
}

/**
 * What the runtime carries from a frame to the work it schedules. Never
 * changed once made (but for its caches, `full` and the last read, and
 * `alias`). A scope `ContextVar.run` made holds its one value beside the
 * mapping it was made over (`key`, `value`), so that scoping a value costs
 * no trie update; `fullMapping` merges the two when something needs the
 * whole mapping.
 */
export class Scope {
  readonly mapping: Mapping;
  readonly flow: Flow;
  /** Whether `mapping` may hold Cells that an undo can still change (copies then freeze them). */
  readonly open: boolean;
  /** The variable a run scoped (null for other scopes), and its value. */
  readonly key: HamtKey | null;
  readonly value: unknown;
  /** `mapping` with `key` at `value`, made once when first needed. */
  full: Mapping | null = null;
  /**
   * The last variable read in this scope and its Cell: a read cache that
   * keeps nothing the mapping does not hold already, so it cannot outlive
   * the scope's frames (a Cell's undo still shows through `live`).
   */
  readKey: HamtKey | null = null;
  readCell: Cell | null = null;
  /**
   * The scope of the innermost `ContextVar.run` this scope was made in (for
   * a scope a run made: the run around that run), null outside every run.
   * A token made inside a run resets only where this chain still reaches
   * that run (S5).
   */
  readonly within: Scope | null;
  /**
   * The scope a `set` made resolves to once that set is undone in a frame
   * that still has it current: the scope the set was made over, which reads
   * exactly what this one now reads through the undone Cell (S3). So the
   * frame needs no new scope entered, and its next `set` starts from the
   * live Cell. Null for every other scope.
   */
  alias: Scope | null = null;

  constructor(mapping: Mapping, flow: Flow, open: boolean, key: HamtKey | null, value: unknown, within: Scope | null) {
    this.mapping = mapping;
    this.flow = flow;
    this.open = open;
    this.key = key;
    this.value = value;
    this.within = within;
  }
}

/** The run `scope` belongs to: itself when a run made it (S5). */
function runOf(scope: Scope): Scope | null {
  return scope.key === null ? scope.within : scope;
}

/** Every variable's Cell in `scope`, its scoped value included. */
function fullMapping(scope: Scope): Mapping {
  if (scope.key === null) return scope.mapping;
  if (scope.full === null) scope.full = scope.mapping.set(scope.key, new Cell(scope.value, false));
  return scope.full;
}

/**
 * What every copy of the library in a process shares (the ESM and CommonJS
 * builds, two installed copies): the storage, the root scope and the undo
 * clock. Versioned by its key: a copy with another Scope layout keeps its own.
 */
interface SharedState {
  readonly storage: ScopeStorage;
  readonly root: Scope;
  clock: number;
}

const SHARED = Symbol.for('contextvars.state.v3');
const holder = globalThis as { [SHARED]?: SharedState };
holder[SHARED] ??= {
  storage: createStorage(),
  root: new Scope(EMPTY, new Flow(EMPTY, 0, false, false), false, null, undefined, null),
  clock: 0,
};
const state: SharedState = holder[SHARED];
const { root } = state;
const shared = state.storage;

/** Set only on storages that cannot always isolate (the synchronous fallback, S10). */
const { unisolated } = shared;

/** Which propagation mechanism the runtime has (for reports and benchmarks). */
export const storageKind: StorageKind = shared.kind;

/** The running frame's scope (S7: outside any run, the process root's). */
export function currentScope(): Scope {
  return resolve((shared.current() as Scope | undefined) ?? root);
}

/** The scope `scope` reads as: itself, or the end of its aliases, which every alias on the way then points at. */
function resolve(scope: Scope): Scope {
  if (scope.alias === null) return scope;
  let target = scope;
  while (target.alias !== null) target = target.alias;
  while (scope.alias !== null && scope.alias !== target) {
    const next: Scope = scope.alias;
    scope.alias = target;
    scope = next;
  }
  return target;
}

/** The Cell a live reader sees for `cell`: it follows undone sets back (S3). */
function live(cell: Cell): Cell {
  while (cell.before !== null) cell = cell.before;
  return cell;
}

/** The Cell a copy taken at tick `at` sees: undos after it are ignored. */
function asOf(cell: Cell, at: number): Cell {
  while (cell.before !== null && cell.undoneAt <= at) cell = cell.before;
  return cell;
}

/**
 * The value of `key` in the running frame, or NO_VALUE. An aliased scope is
 * read as it is: through its undone Cell it reads what its alias reads.
 */
export function currentValue(key: HamtKey): unknown {
  const scope = (shared.current() as Scope | undefined) ?? root;
  if (scope.key === key) return scope.value;
  if (scope.readKey === key) return live(scope.readCell as Cell).value;
  // A miss is cached too (as UNSET): the mapping never changes, so it stays a miss.
  const cell = scope.mapping.lookup(key, UNSET);
  scope.readKey = key;
  scope.readCell = cell;
  return live(cell).value;
}

/** The value of `key` recorded in `flow`, or NO_VALUE. */
export function recordedValue(flow: Flow, key: HamtKey): unknown {
  const cell = flow.mapping.lookup(key, undefined);
  return cell === undefined ? NO_VALUE : asOf(cell, flow.frozenAt).value;
}

/**
 * What one `set` did, all that `undo` needs to take it back (a Token holds
 * it): the variable, the Cell the set made, the live Cell the variable had
 * (UNSET when none; its value is the token's old value), the Scope the set
 * was made over and the Scope it entered.
 */
export class SetRecord {
  readonly key: HamtKey;
  readonly cell: Cell;
  readonly previous: Cell;
  readonly made: Scope;
  readonly entered: Scope;

  constructor(key: HamtKey, cell: Cell, previous: Cell, made: Scope, entered: Scope) {
    this.key = key;
    this.cell = cell;
    this.previous = previous;
    this.made = made;
    this.entered = entered;
  }

  /** The value the variable had before the set, or NO_VALUE. */
  get oldValue(): unknown {
    return this.previous.value;
  }
}

/**
 * Makes `value` current for `key` for the rest of the frame and everything
 * it schedules from now on (S2), and records it in the flow (S4).
 */
export function setValue(key: HamtKey, value: unknown): SetRecord {
  if (unisolated !== undefined) refuseUnisolated(key, unisolated());
  const scope = currentScope();
  const { flow } = scope;
  const before = fullMapping(scope);
  // The live Cell, never an undone one: its undo is final, so what it
  // reads through is what this set is made over (S9: no chain of undone
  // sets grows from one job to the job it schedules).
  const previous = live(before.lookup(key, UNSET));
  const cell = new Cell(value, true);
  const after = before.set(key, cell);
  const entered = new Scope(after, flow, true, null, undefined, runOf(scope));
  shared.enter(entered);
  if (flow.records) {
    flow.mapping = flow.mapping === before ? after : flow.mapping.set(key, cell);
    flow.open = true;
  }
  return new SetRecord(key, cell, previous, scope, entered);
}

/** S10: a set the storage cannot keep to this flow is refused, naming the variable. */
function refuseUnisolated(key: HamtKey, missing: string | undefined): void {
  if (missing !== undefined)
    throw new UnsupportedRuntimeError((key as { readonly name?: string }).name ?? '?', missing);
}

/**
 * The variable of the `ContextVar.run` that `record`'s set was made in when
 * the frame whose scope is `scope` is outside that run, else null (S5: such
 * a set is undone only where the run's scope still encloses the frame: its
 * synchronous code and what it scheduled).
 */
export function runLeft(scope: Scope, record: SetRecord): HamtKey | null {
  const run = runOf(record.made);
  if (run === null) return null;
  for (let enclosing = runOf(scope); enclosing !== null; enclosing = enclosing.within) {
    if (enclosing === run) return null;
  }
  return run.key;
}

/**
 * Undoes the set `record` describes (S3), called in the frame whose current
 * scope is `scope` (the caller has read it). Every Scope holding the Cell now
 * reads the variable as it would be without that set; a Scope made before
 * it, or in another flow, never held the Cell and is untouched. The frame
 * that calls this reads the old value (Python's exact result, also for
 * out-of-order resets), in a Scope of its own when its current one would
 * read something else; the flow records the same.
 */
export function undo(scope: Scope, record: SetRecord): void {
  const { key, cell, previous, made, entered } = record;
  cell.open = false;
  // Undone since this set was made (an out-of-order reset)? Then what it reads now.
  cell.before = live(previous);
  cell.undoneAt = ++state.clock;

  // The frame's own scope from now on reads the old value. When it is still
  // the scope the set entered and the Cell before it is still live, the
  // scope the set was made over serves again: the entered one becomes its
  // alias (nothing to make, nothing to enter), or, for another scope with
  // the same mapping, it is entered. Otherwise a settled Cell does. Either
  // way no undone Cell stays current, so the next set in this frame starts
  // from a live one.
  const { flow } = made;
  const before = fullMapping(made);
  const after = entered.mapping;
  const mapping = fullMapping(scope);
  if (previous.before === null && mapping === after) {
    if (scope === entered) entered.alias = made;
    else shared.enter(made);
    if (flow.records) recordWrite(flow, key, previous, previous, before, after);
    return;
  }
  let settled: Cell | undefined;
  let next: Mapping;
  if (previous.before === null && mapping.lookup(key, undefined) === cell) {
    settled = previous;
    next = previous.value === NO_VALUE ? mapping.delete(key) : mapping.set(key, previous);
  } else {
    const oldValue = previous.value;
    settled = oldValue === NO_VALUE ? undefined : new Cell(oldValue, false);
    next = settled === undefined ? mapping.delete(key) : mapping.set(key, settled);
  }
  if (next !== mapping) shared.enter(new Scope(next, scope.flow, scope.open, null, undefined, runOf(scope)));
  if (flow.records) recordWrite(flow, key, settled, previous, before, after);
}

/**
 * Records in `flow` that `key` now holds `settled` (no value when undefined
 * or UNSET): the set's `before` mapping again when the set's own Cell before
 * it serves and nothing was recorded since.
 */
function recordWrite(
  flow: Flow,
  key: HamtKey,
  settled: Cell | undefined,
  previous: Cell,
  before: Mapping,
  after: Mapping,
): void {
  if (flow.mapping === after && settled === previous) flow.mapping = before;
  else if (settled === undefined || settled.value === NO_VALUE) flow.mapping = flow.mapping.delete(key);
  else flow.mapping = flow.mapping.set(key, settled);
}

/** A Flow holding a copy of the running frame's mapping, frozen now (O(1)). */
export function copyCurrent(): Flow {
  const scope = currentScope();
  return new Flow(fullMapping(scope), state.clock, scope.open);
}

/** A Flow holding a copy of `flow`'s mapping, frozen now. */
export function copyFlow(flow: Flow): Flow {
  settle(flow);
  return new Flow(flow.mapping, state.clock, false);
}

/** An empty Flow (a new Context). */
export function emptyFlow(): Flow {
  return new Flow(EMPTY, state.clock, false);
}

/**
 * A Flow holding `entries` (a new Context with entries): the mapping is
 * built once, last entry of a key wins. `check` vets each entry first (it
 * throws on one that is not a `[key, value]` pair); the pair is read as
 * `new Map(entries)` reads it, `entry[0]` and `entry[1]`.
 */
export function flowOf(entries: Iterable<unknown>, check: (entry: unknown) => void): Flow {
  const keys: HamtKey[] = [];
  const cells: Cell[] = [];
  for (const entry of entries) {
    check(entry);
    keys.push((entry as readonly [HamtKey])[0]);
    cells.push(new Cell((entry as readonly unknown[])[1], false));
  }
  return new Flow(Hamt.of(keys, cells), state.clock, false);
}

/**
 * Replaces every Cell of `flow` that could still change by a settled one
 * holding what the flow reads now, so that entering or iterating the flow
 * sees exactly that, whatever is undone later. O(n) once, after any change.
 */
export function settle(flow: Flow): Mapping {
  if (!flow.open) return flow.mapping;
  let mapping = flow.mapping;
  for (const [key, cell] of flow.mapping) {
    const seen = asOf(cell, flow.frozenAt);
    if (seen.value === NO_VALUE) mapping = mapping.delete(key);
    else if (seen.open || seen.before !== null) mapping = mapping.set(key, new Cell(seen.value, false));
    else if (seen !== cell) mapping = mapping.set(key, seen);
  }
  flow.mapping = mapping;
  flow.frozenAt = state.clock;
  flow.open = false;
  return mapping;
}

/** `[key, value]` pairs of `flow`'s settled mapping. */
export function* recordedEntries(flow: Flow): Generator<[HamtKey, unknown]> {
  for (const [key, cell] of settle(flow)) yield [key, cell.value];
}

/** The values of `flow`'s settled mapping, in the order of its keys. */
export function* recordedValues(flow: Flow): Generator<unknown> {
  for (const cell of settle(flow).values()) yield cell.value;
}

/**
 * The scope `Context.run` enters for `flow` (S4): its settled mapping, and
 * its writes are recorded in it. The caller checks re-entry, marks the flow
 * running, and calls fn in it, quickly ({@link quick}) or between
 * {@link enterFlow} and {@link leave}, in its own frame.
 */
export function flowScope(flow: Flow): Scope {
  const mapping = settle(flow);
  let entry = flow.entry;
  if (entry === null || entry.mapping !== mapping) entry = new Scope(mapping, flow, false, null, undefined, null);
  flow.entry = entry;
  return entry;
}

/**
 * The scope `ContextVar.run` enters (S8: the one code path of
 * ContextVar.run and AsyncContext.Variable.run): the current one with
 * `key` at `value`, in the current flow; nothing is recorded in the flow.
 */
export function valueScope(key: HamtKey, value: unknown): Scope {
  const scope = currentScope();
  return new Scope(fullMapping(scope), scope.flow, scope.open, key, value, runOf(scope));
}

/**
 * The runtime's cheaper run for a call few runs enclose (one frame instead
 * of two where the store lives in AsyncContextFrames), if it has one: a run
 * takes it when `quick.shallow()`, else brackets fn with {@link enterValue}
 * or {@link enterFlow} and {@link leave} in its own frame (runs nest as
 * deep as `als.run`).
 */
export const quick: ScopeStorage['quick'] = shared.quick;

/** Makes {@link valueScope} current until {@link leave}; returns the mark `leave` takes. */
export function enterValue(key: HamtKey, value: unknown): number {
  return shared.open(valueScope(key, value));
}

/** Makes {@link flowScope} current, `flow` running, until {@link leave}; returns the mark `leave` takes. */
export function enterFlow(flow: Flow): number {
  const mark = shared.open(flowScope(flow));
  flow.running = true;
  return mark;
}

/** Ends what {@link enterValue} or {@link enterFlow} began: the caller's scope is current again. */
export function leave(mark: number): void {
  shared.close(mark);
}

/** Calls `fn(...args)` with `scope` current; the caller's scope is back when it returns or throws. */
export function runInScope<A extends unknown[], R>(scope: Scope, fn: (...args: A) => R, args: A): R {
  const mark = shared.open(scope);
  try {
    return fn(...args);
  } finally {
    shared.close(mark);
  }
}
