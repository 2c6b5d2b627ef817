/**
 * The `await` transform behind `contextvars/bundler`: in a browser, a native
 * `await` resumes in whatever scope the previous job left current, so each
 * suspension point is rewritten to save the scope just before it suspends
 * and write it back when the function resumes (the capture/restore pattern of
 * unctx and Vue's `withAsyncContext`), on the cell the browser runtime shares
 * (see src/runtime/browser/cell.ts). No extra promise, tick or closure per `await`.
 *
 * For `await X` in an async function (and `yield X`/`yield* X` in an async
 * generator), with per-function temporaries S (the saved scope, 0 when no
 * suspension is pending), B (the scope current when this job resumed the
 * function, 0 in the synchronous prefix) and R (the operand and result):
 *
 * ```
 * (R = (X), S = cell.c, B !== 0 && (cell.c = B), R = await R, B = cell.c, cell.c = S, S = 0, R)
 * ```
 *
 * (an operand that runs no code, a name or a literal, is awaited directly,
 * with the save before it: `(S = cell.c, …, R = await x, …, R)`).
 *
 * Before suspending, the job's own scope B is put back, so code that runs
 * next in this job (the caller of a resumed generator, an untransformed
 * continuation) does not see this function's values; the synchronous prefix
 * leaves its scope to the caller, as on Node (SEMANTICS D1). When an `await`
 * throws, S is still set: every `catch` and `finally` block of the function
 * starts by restoring it, and the function body is wrapped in a `finally`
 * that puts B back when a resumed function returns or throws.
 *
 * `for await` wraps its iterable so that each `next()`/`return()` call saves
 * the scope, and restores it at the top of the body and after the loop; a
 * head that runs code (a destructuring pattern) moves to the top of the body,
 * after that restore.
 *
 * A block with `await using` is left (at its end, by `break`, `return` or an
 * exception) before its disposals, which are native awaits: each resource is
 * declared through a wrapper whose dispose method runs the resource's own in
 * the scope the block was left with and then puts back the scope it found;
 * after the last one, a `using` resource of the block's own, disposed first,
 * keeps that scope and puts back the one this function's job started with
 * (a sync `using` adds no await there, even after a null `await using`); a
 * `finally` around the block restores the kept scope once the disposals are
 * done. `for (await using x of …)` does the same in each iteration's body.
 * No await is added or removed.
 *
 * @module
 */
import { parse, type Options } from 'acorn';
import MagicString from 'magic-string';

/** A version 3 source map, as bundlers take it from a plugin's `transform`. */
export interface SourceMap {
  version: number;
  file?: string;
  sources: string[];
  sourcesContent?: (string | null)[];
  names: string[];
  mappings: string;
  toString(): string;
  toUrl(): string;
}

/** What {@link transformAsync} returns for a file it changed: the code and its exact source map. */
export interface TransformResult {
  code: string;
  map: SourceMap;
}

const CELL = '$__cv';
const S = '$__cvS';
const B = '$__cvB';
const R = '$__cvR';
const ITERATE = '$__cvI';
/** A `for await` head's value, when the head's own code moves into the body. */
const HEAD = '$__cvX';
const MARKER = '/* contextvars: await transform */';

/** Saving the scope: the part of an `await` that runs just before it suspends. */
const SAVE = `${S} = ${CELL}.c, ${B} !== 0 && (${CELL}.c = ${B})`;
/** Restoring a pending save (after a rejected `await`, at a `catch`/`finally`, in a `for await` body). */
const RESTORE_PENDING = `${S} !== 0 && (${B} = ${CELL}.c, ${CELL}.c = ${S}, ${S} = 0);`;
/** What a transformed function runs when it returns or throws. */
const EXIT = `${S} !== 0 ? ${S} = 0 : ${B} !== 0 && (${CELL}.c = ${B});`;

const PRELUDE =
  `${MARKER} var ${CELL} = globalThis[Symbol.for("contextvars.browser.cell.v1")] || ` +
  `(globalThis[Symbol.for("contextvars.browser.cell.v1")] = { c: void 0, d: 0 });`;

/** Wraps a `for await` iterable so that its iterator's `next` and `return` call `save` first. */
const ITERATE_HELPER =
  `function ${ITERATE}(o, save) { var a = o[Symbol.asyncIterator], k = a != null ? Symbol.asyncIterator : Symbol.iterator, ` +
  `m = a != null ? a : o[Symbol.iterator], w = {}; w[k] = function () { var it = m.call(o), n = it.next, r = it.return, t = it.throw, x = ` +
  `{ next: function (v) { save(); return n.call(it, v); } }; if (r != null) x.return = function (v) { save(); return r.call(it, v); }; ` +
  `if (t != null) x.throw = function (v) { save(); return t.call(it, v); }; return x; }; return w; }`;

const DISPOSE = '$__cvD';
/** The dispose symbols, as esbuild's and Babel's lowering of `using` finds them where the runtime has none. */
const DISPOSE_SYMBOL = '$__cvY';
const ASYNC_DISPOSE_SYMBOL = '$__cvZ';
/**
 * What a block's `using` (a = 0) or `await using` (a = 1) of the value `v`, named `n`, declares
 * instead, so that its disposal goes through `run`: null and undefined as they are, else a
 * resource whose dispose method calls `run` with the one `v` has (looked up once, now, with the
 * same checks and TypeErrors as the declaration's; a sync `[Symbol.dispose]` under `await using`
 * reports a throw as a rejection, as the spec's wrapper does). The same awaits, in the same order.
 */
const DISPOSE_HELPER =
  `var ${DISPOSE_SYMBOL} = Symbol.dispose || Symbol.for("Symbol.dispose"), ${ASYNC_DISPOSE_SYMBOL} = Symbol.asyncDispose || Symbol.for("Symbol.asyncDispose"); ` +
  `function ${DISPOSE}(v, a, n, run) { if (v == null) return v; ` +
  `if (typeof v !== "object" && typeof v !== "function") throw new TypeError(n + " is not disposable: " + (a ? "await using" : "using") + " needs an object, null or undefined"); ` +
  `var m = a ? v[${ASYNC_DISPOSE_SYMBOL}] : void 0, s = false; if (m == null) { m = v[${DISPOSE_SYMBOL}]; s = !!a; } ` +
  `if (typeof m !== "function") throw new TypeError(n + " is not disposable: it has no " + (a ? "[Symbol.asyncDispose] or " : "") + "[Symbol.dispose] method"); ` +
  `var o = {}; o[a ? ${ASYNC_DISPOSE_SYMBOL} : ${DISPOSE_SYMBOL}] = function () { return run(function () { ` +
  `if (!s) return m.call(v); try { m.call(v); } catch (e) { return Promise.reject(e); } }); }; return o; }`;

/** An ESTree node, with the fields this transform reads. */
interface AnyNode {
  type: string;
  start: number;
  end: number;
  directive?: unknown;
  sourceType?: unknown;
  delegate?: unknown;
  async?: unknown;
  generator?: unknown;
  await?: unknown;
  kind?: unknown;
  body?: unknown;
  argument?: unknown;
  right?: unknown;
  finalizer?: unknown;
  [key: string]: unknown;
}

interface FunctionInfo {
  /** The function (or the Program, for top-level await). */
  readonly node: AnyNode;
  /** Whether its suspension points are transformed (async functions, and modules). */
  readonly async: boolean;
  readonly generator: boolean;
  suspends: boolean;
  /** How many blocks with `await using` it has (each gets its own temporary). */
  usingBlocks: number;
  /** The temporary of the function body's own `await using` declarations, or 0. */
  bodyUsing: number;
  /** Its changes, made only once it is known to suspend (its temporaries are declared then). */
  edits: (() => void)[];
}

function isFunction(node: AnyNode): boolean {
  return (
    node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression'
  );
}

function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key in node) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value)
        if (item !== null && typeof item === 'object' && typeof (item as AnyNode).type === 'string')
          out.push(item as AnyNode);
    } else if (value !== null && typeof value === 'object' && typeof (value as AnyNode).type === 'string') {
      out.push(value as AnyNode);
    }
  }
  return out;
}

function parseProgram(code: string): AnyNode {
  const base: Options = { ecmaVersion: 'latest', allowHashBang: true, allowReturnOutsideFunction: false };
  try {
    return parse(code, { ...base, sourceType: 'module' }) as unknown as AnyNode;
  } catch (moduleError) {
    try {
      return parse(code, { ...base, sourceType: 'script' }) as unknown as AnyNode;
    } catch {
      throw moduleError;
    }
  }
}

/** Whether a function body (or a program) already starts with this transform's temporaries. */
function declaresTemporaries(body: AnyNode): boolean {
  if (body.type !== 'BlockStatement' && body.type !== 'Program') return false;
  for (const statement of body.body as AnyNode[]) {
    if (typeof statement.directive === 'string') continue;
    const declarations = statement.type === 'VariableDeclaration' ? (statement['declarations'] as AnyNode[]) : [];
    return declarations.some((d) => (d['id'] as AnyNode | undefined)?.['name'] === S);
  }
  return false;
}

/** The end of a body's directive prologue (`"use strict"`), where declarations can go. */
function afterDirectives(statements: AnyNode[], fallback: number): number {
  let position = fallback;
  for (const statement of statements) {
    if (typeof statement.directive !== 'string') break;
    position = statement.end;
  }
  return position;
}

/**
 * Rewrites every suspension point of `code` (see the module comment) and
 * returns the new code with its source map, or `null` when the file has no
 * `await`, `for await` or async-generator `yield` (it is left untouched).
 *
 * @throws {SyntaxError} from acorn when `code` is not JavaScript.
 */
export function transformAsync(code: string, id: string): TransformResult | null {
  if (!code.includes('await') && !code.includes('yield')) return null;
  if (code.includes(MARKER)) return null;
  const program = parseProgram(code);
  const s = new MagicString(code);
  const programInfo: FunctionInfo = {
    node: program,
    async: program.sourceType === 'module' && !declaresTemporaries(program) && !/\bvar \$__cvS\b/.test(code),
    generator: false,
    suspends: false,
    usingBlocks: 0,
    bodyUsing: 0,
    edits: [],
  };
  let anyChange = false;
  let needsIterate = false;
  let needsDispose = false;

  const restoreUsing = (n: number): string =>
    `$__cvU${n} !== 0 && (${B} = ${CELL}.c, ${CELL}.c = $__cvU${n}, $__cvU${n} = 0);`;
  /**
   * The resource a block declares for its resource `name` (see {@link DISPOSE_HELPER}): its
   * disposal runs in the scope the block was left with, kept in the block's $__cvU<n>, and then
   * puts back the scope it found. The first disposal to run keeps that scope, unless the capture
   * below did, and puts back the one this function's job started with instead.
   */
  const disposable = (name: string, async: boolean, n: number): string => {
    needsDispose = true;
    const U = `$__cvU${n}`;
    const run =
      `function (f) { var b = ${U} === 0 ? (${U} = ${CELL}.c, ${B} !== 0 ? ${B} : ${U}) : ${CELL}.c; ` +
      `${CELL}.c = ${U}; try { return f(); } finally { ${CELL}.c = b; } }`;
    return `${async ? 'await using' : 'using'} $__cvW${++disposables} = ${DISPOSE}(${name}, ${async ? 1 : 0}, ${JSON.stringify(name)}, ${run})`;
  };
  /**
   * Declared after a block's last resource, so disposed first, before anything awaits (a `using`
   * adds no await there, even after a null `await using`): keeps the scope the block is left
   * with, and puts back the one this function's job started with for the suspension to come.
   */
  const captureOnExit = (n: number): string =>
    `using $__cvK${n} = { [${DISPOSE_SYMBOL}]: () => { $__cvU${n} = ${CELL}.c; ${B} !== 0 && (${CELL}.c = ${B}); } };`;
  let disposables = 0;

  /** The position of the comma that ends the declarator ending at `from` (comments may come between). */
  function commaAfter(from: number): number {
    let at = from;
    for (;;) {
      if (code.startsWith('/*', at)) at = code.indexOf('*/', at + 2) + 2;
      else if (code.startsWith('//', at)) at = code.indexOf('\n', at) + 1;
      else if (code[at] === ',') return at;
      else at++;
    }
  }

  /** The position just after `yield`, `yield*` or `await` (a `*` may follow `yield` after spaces or comments). */
  function afterKeyword(node: AnyNode): number {
    let at = node.start + 5;
    if (node.type !== 'YieldExpression' || node.delegate !== true) return at;
    for (;;) {
      if (/\s/.test(code[at] ?? '')) at++;
      else if (code.startsWith('/*', at)) at = code.indexOf('*/', at + 2) + 2;
      else if (code.startsWith('//', at)) at = code.indexOf('\n', at) + 1;
      else return at + 1; // the `*`
    }
  }

  /**
   * Wraps a suspension point. The closing goes at the node's end, which lies
   * after any parentheses around the operand (the operand's own range does not).
   */
  function suspension(node: AnyNode, keyword: string, argument: AnyNode | null): void {
    if (argument === null) {
      // `yield` alone: nothing to evaluate first.
      s.overwrite(
        node.start,
        node.end,
        `(${SAVE}, ${R} = ${keyword}, ${B} = ${CELL}.c, ${CELL}.c = ${S}, ${S} = 0, ${R})`,
        {
          contentOnly: true,
        },
      );
      return;
    }
    if (argument.type === 'Identifier' || argument.type === 'Literal' || argument.type === 'ThisExpression') {
      // Evaluating the operand runs no code, so the scope can be saved first.
      s.prependRight(node.start, `(${SAVE}, ${R} = `);
      s.appendLeft(node.end, `, ${B} = ${CELL}.c, ${CELL}.c = ${S}, ${S} = 0, ${R})`);
      return;
    }
    // The keyword moves after the operand: `(R = (X), save, R = await R, restore, R)`.
    s.overwrite(node.start, afterKeyword(node), `(${R} = (`, { contentOnly: true });
    s.appendLeft(node.end, `), ${SAVE}, ${R} = ${keyword} ${R}, ${B} = ${CELL}.c, ${CELL}.c = ${S}, ${S} = 0, ${R})`);
  }

  function visit(node: AnyNode, fn: FunctionInfo, parents: AnyNode[]): void {
    let inner = fn;
    if (isFunction(node)) {
      inner = {
        node,
        // A function this transform already rewrote (a bundle of transformed modules, which loses the marker comment) is left as it is.
        async: node.async === true && !declaresTemporaries(node.body as AnyNode),
        generator: node.generator === true,
        suspends: false,
        usingBlocks: 0,
        bodyUsing: 0,
        edits: [],
      };
    }
    const parent = parents[parents.length - 1];
    // A module's own `await using` resources are disposed when it has finished: nothing of it runs after.
    const hasAwaitUsing =
      inner.async &&
      (node.type === 'BlockStatement'
        ? (node.body as AnyNode[]).some((st) => st.type === 'VariableDeclaration' && st.kind === 'await using')
        : node.type === 'ForOfStatement' &&
          (node['left'] as AnyNode).type === 'VariableDeclaration' &&
          (node['left'] as AnyNode).kind === 'await using');
    const usingIndex = hasAwaitUsing ? ++inner.usingBlocks : 0;
    parents.push(node);
    for (const child of children(node)) visit(child, inner, parents);
    parents.pop();

    if (inner.async) {
      const edit = (change: () => void): void => {
        inner.edits.push(change);
      };
      switch (node.type) {
        case 'AwaitExpression':
          inner.suspends = true;
          edit(() => suspension(node, 'await', node.argument as AnyNode));
          break;
        case 'YieldExpression':
          if (inner.generator) {
            inner.suspends = true;
            edit(() =>
              suspension(node, node.delegate === true ? 'yield*' : 'yield', (node.argument as AnyNode | null) ?? null),
            );
          }
          break;
        case 'ReturnStatement':
          // An async generator awaits the value it returns: save before that await.
          if (inner.generator && node.argument !== null) {
            const argument = node.argument as AnyNode;
            inner.suspends = true;
            edit(() => {
              s.prependRight(argument.start, `(${R} = (`);
              s.appendLeft(argument.end, `), ${SAVE}, ${R})`);
            });
          }
          break;
        case 'ForOfStatement':
          if (node.await === true || usingIndex > 0) {
            inner.suspends = true;
            if (node.await === true) needsIterate = true;
            // Around the loop and its labels, so that every way out restores.
            let outer = node;
            for (let i = parents.length - 1; i >= 0 && parents[i]?.type === 'LabeledStatement'; i--)
              outer = parents[i] as AnyNode;
            edit(() => {
              const body = node.body as AnyNode;
              const left = node['left'] as AnyNode;
              const declaration = left.type === 'VariableDeclaration' ? left : undefined;
              const target =
                declaration === undefined ? left : ((declaration['declarations'] as AnyNode[])[0] as AnyNode);
              const pattern = declaration === undefined ? target : (target['id'] as AnyNode);
              const restore = node.await === true ? ` ${RESTORE_PENDING}` : '';
              if (usingIndex > 0) {
                // `for (await using x of …)`: x is a const, and each iteration's body declares its
                // disposal, so the loop goes on (next(), the next body) in the restored scope.
                s.overwrite(declaration?.start ?? 0, pattern.start, 'const ', { contentOnly: true });
                s.prependRight(
                  body.start,
                  `{${restore} try { ${disposable(String(pattern['name']), true, usingIndex)}; ${captureOnExit(usingIndex)} `,
                );
                s.appendLeft(body.end, ` } finally { ${restoreUsing(usingIndex)} } }`);
              } else if (pattern.type !== 'Identifier') {
                // The head runs code (defaults, computed keys, an iterator, a setter): it moves to
                // the top of the body, after the restore, in a block of its own around the body.
                s.appendLeft(pattern.start, declaration === undefined ? `const ${HEAD}` : HEAD);
                s.appendLeft(
                  body.start,
                  `{${restore} ${declaration === undefined ? '(' : `${String(declaration.kind)} `}`,
                );
                s.move(pattern.start, pattern.end, body.start);
                s.appendLeft(pattern.end, ` = ${HEAD}${declaration === undefined ? ')' : ''}; `);
                s.appendLeft(body.end, ' }');
              } else if (body.type === 'BlockStatement') {
                s.appendLeft(body.start + 1, restore);
              } else {
                s.prependRight(body.start, `{${restore} `);
                s.appendLeft(body.end, ' }');
              }
              if (node.await === true) {
                const right = node.right as AnyNode;
                s.prependRight(right.start, `${ITERATE}(`);
                s.appendLeft(right.end, `, function () { ${SAVE}; })`);
                s.prependRight(outer.start, 'try { ');
                s.appendLeft(outer.end, ` } finally { ${RESTORE_PENDING} }`);
              }
            });
          }
          break;
        case 'CatchClause':
          edit(() => s.appendLeft((node.body as AnyNode).start + 1, ` ${RESTORE_PENDING}`));
          break;
        case 'TryStatement':
          if (node.finalizer !== null)
            edit(() => s.appendLeft((node.finalizer as AnyNode).start + 1, ` ${RESTORE_PENDING}`));
          break;
        default:
          break;
      }
      if (usingIndex > 0 && node.type === 'BlockStatement') {
        inner.suspends = true;
        const functionBody = parent !== undefined && isFunction(parent);
        if (functionBody) inner.bodyUsing = usingIndex;
        edit(() => {
          // `await using r = X, q = Y` becomes `const r = X; await using $__cvW1 = $__cvD(r, …);
          // const q = Y; await using $__cvW2 = $__cvD(q, …)`, the block's sync `using` likewise:
          // the same resources, in the same order, each disposed through the block's disposal run.
          const resources = (node.body as AnyNode[]).filter(
            (st) => st.type === 'VariableDeclaration' && (st.kind === 'await using' || st.kind === 'using'),
          );
          resources.forEach((statement, index) => {
            const async = statement.kind === 'await using';
            const declarators = statement['declarations'] as AnyNode[];
            const name = (i: number): string => String(((declarators[i] as AnyNode)['id'] as AnyNode)['name']);
            s.overwrite(statement.start, (declarators[0] as AnyNode).start, 'const ', { contentOnly: true });
            for (let i = 1; i < declarators.length; i++) {
              const comma = commaAfter((declarators[i - 1] as AnyNode).end);
              s.overwrite(comma, comma + 1, `; ${disposable(name(i - 1), async, usingIndex)}; const`);
            }
            const last = index === resources.length - 1 ? ` ${captureOnExit(usingIndex)}` : '';
            s.appendLeft(statement.end, `; ${disposable(name(declarators.length - 1), async, usingIndex)};${last}`);
          });
          if (!functionBody) {
            s.appendLeft(node.start + 1, ' try {');
            s.appendLeft(node.end - 1, ` } finally { ${restoreUsing(usingIndex)} } `);
          }
        });
      }
    }
    if (node === inner.node && inner.suspends) {
      for (const change of inner.edits) change();
      if (node !== program) {
        anyChange = true;
        finishFunction(inner);
      }
    }
  }

  function declarations(info: FunctionInfo): string {
    const names = [`${S} = 0`, `${B} = 0`, R];
    for (let i = 1; i <= info.usingBlocks; i++) names.push(`$__cvU${i} = 0`);
    return names.join(', ');
  }

  function finishFunction(info: FunctionInfo): void {
    const node = info.node;
    const body = node.body as AnyNode;
    if (body.type === 'BlockStatement') {
      const start = afterDirectives(body.body as AnyNode[], body.start + 1);
      // The body's own `await using` resources are disposed (awaited) before this finally.
      const exit = info.bodyUsing > 0 ? `${restoreUsing(info.bodyUsing)} ${EXIT}` : EXIT;
      s.appendLeft(start, ` let ${declarations(info)}; try {`);
      s.appendLeft(body.end - 1, ` } finally { ${exit} }`);
    } else {
      // An arrow's expression body, with the parentheses around it.
      const arrow = code.lastIndexOf('=>', body.start);
      s.appendLeft(arrow + 2, ` { let ${declarations(info)}; try { return (`);
      s.appendLeft(node.end, `); } finally { ${EXIT} } }`);
    }
  }

  visit(program, programInfo, []);
  if (programInfo.suspends) anyChange = true;
  if (!anyChange) return null;

  const head = afterDirectives(program.body as AnyNode[], 0);
  const hashbang = code.startsWith('#!') ? code.indexOf('\n') + 1 : 0;
  const at = Math.max(head, hashbang);
  let prelude = PRELUDE;
  if (programInfo.suspends) prelude += ` var ${declarations(programInfo)};`;
  if (needsIterate) prelude += ` ${ITERATE_HELPER}`;
  if (needsDispose) prelude += ` ${DISPOSE_HELPER}`;
  if (at === 0) s.prepend(`${prelude}\n`);
  else s.appendLeft(at, `\n${prelude}\n`);
  return {
    code: s.toString(),
    map: s.generateMap({ source: id, includeContent: true, hires: true }) as SourceMap,
  };
}
