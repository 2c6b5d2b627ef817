/**
 * The `await` transform behind `contextvars/bundler`: in a browser, a native
 * `await` resumes in whatever scope the previous job left current, so each
 * suspension point is rewritten to save the scope just before it suspends
 * and write it back when the function resumes (the capture/restore pattern of
 * unctx and Vue's `withAsyncContext`), on the cell the browser runtime shares
 * (see src/runtime/browser.ts). No extra promise, tick or closure per `await`.
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
 * the scope, and restores it at the top of the body and after the loop.
 * A block with `await using` saves the scope after each declaration and at
 * its end, and restores it after the disposal awaits.
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

  const restoreUsing = (n: number): string =>
    `$__cvU${n} !== 0 && (${B} = ${CELL}.c, ${CELL}.c = $__cvU${n}, $__cvU${n} = 0);`;

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
    const hasAwaitUsing =
      (node.type === 'BlockStatement' || node.type === 'Program') &&
      inner.async &&
      (node.body as AnyNode[]).some((st) => st.type === 'VariableDeclaration' && st.kind === 'await using');
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
          if (node.await === true) {
            inner.suspends = true;
            needsIterate = true;
            // Around the loop and its labels, so that every way out restores.
            let outer = node;
            for (let i = parents.length - 1; i >= 0 && parents[i]?.type === 'LabeledStatement'; i--)
              outer = parents[i] as AnyNode;
            edit(() => {
              const right = node.right as AnyNode;
              s.prependRight(right.start, `${ITERATE}(`);
              s.appendLeft(right.end, `, function () { ${SAVE}; })`);
              const body = node.body as AnyNode;
              if (body.type === 'BlockStatement') {
                s.appendLeft(body.start + 1, ` ${RESTORE_PENDING}`);
              } else {
                s.prependRight(body.start, `{ ${RESTORE_PENDING} `);
                s.appendLeft(body.end, ' }');
              }
              s.prependRight(outer.start, 'try { ');
              s.appendLeft(outer.end, ` } finally { ${RESTORE_PENDING} }`);
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
      if (usingIndex > 0) {
        inner.suspends = true;
        const capture = `; $__cvU${usingIndex} = ${CELL}.c;`;
        const functionBody = parent !== undefined && isFunction(parent);
        if (functionBody) inner.bodyUsing = usingIndex;
        edit(() => {
          for (const statement of node.body as AnyNode[]) {
            if (statement.type === 'VariableDeclaration' && statement.kind === 'await using')
              s.appendLeft(statement.end, capture);
          }
          if (!functionBody && node.type !== 'Program') {
            s.appendLeft(node.start + 1, ' try {');
            s.appendLeft(node.end - 1, `${capture} } finally { ${restoreUsing(usingIndex)} } `);
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
  if (at === 0) s.prepend(`${prelude}\n`);
  else s.appendLeft(at, `\n${prelude}\n`);
  return {
    code: s.toString(),
    map: s.generateMap({ source: id, includeContent: true, hires: true }) as SourceMap,
  };
}
