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
 * leaves its scope to the caller, as on Node (docs/semantics.md, D1). When an `await`
 * throws, S is still set: every `catch` and `finally` block of the function
 * starts by restoring it, and the function body is wrapped in a `finally`
 * that puts B back when a resumed function returns or throws.
 *
 * `for await` (for-await.ts) and `await using` (await-using.ts) have
 * modules of their own; every string written into the code, such as the
 * temporaries and the prelude, is in emitted.ts. No await is added or
 * removed.
 *
 * @module
 */
import MagicString from 'magic-string';
import { declaresAwaitUsing, rewriteUsingBlock } from './await-using.ts';
import {
  bareSuspension,
  DECLARES_TEMPORARIES,
  DISPOSE_HELPER,
  EXIT,
  ITERATE_HELPER,
  MARKER,
  OPERAND_OPEN,
  operandClose,
  PRELUDE,
  RESTORE_PENDING,
  RETURN_CLOSE,
  restoreUsing,
  SIMPLE_CLOSE,
  SIMPLE_OPEN,
  temporaries,
} from './emitted.ts';
import { rewriteForOf } from './for-await.ts';
import {
  afterDirectives,
  afterKeyword,
  type AnyNode,
  children,
  declaresTemporaries,
  isFunction,
  parseProgram,
  type Rewrite,
} from './syntax.ts';

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
    async: program.sourceType === 'module' && !declaresTemporaries(program) && !DECLARES_TEMPORARIES.test(code),
    generator: false,
    suspends: false,
    usingBlocks: 0,
    bodyUsing: 0,
    edits: [],
  };
  let anyChange = false;
  const rewrite: Rewrite = { code, s, needsIterate: false, needsDispose: false, disposables: 0 };

  /**
   * Wraps a suspension point. The closing goes at the node's end, which lies
   * after any parentheses around the operand (the operand's own range does not).
   */
  function suspension(node: AnyNode, keyword: string, argument: AnyNode | null): void {
    if (argument === null) {
      // `yield` alone: nothing to evaluate first.
      s.overwrite(node.start, node.end, bareSuspension(keyword), { contentOnly: true });
      return;
    }
    if (argument.type === 'Identifier' || argument.type === 'Literal' || argument.type === 'ThisExpression') {
      // Evaluating the operand runs no code, so the scope can be saved first.
      s.prependRight(node.start, SIMPLE_OPEN);
      s.appendLeft(node.end, SIMPLE_CLOSE);
      return;
    }
    // The keyword moves after the operand: `(R = (X), save, R = await R, restore, R)`.
    s.overwrite(node.start, afterKeyword(code, node), OPERAND_OPEN, { contentOnly: true });
    s.appendLeft(node.end, operandClose(keyword));
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
    const hasAwaitUsing = inner.async && declaresAwaitUsing(node);
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
              s.prependRight(argument.start, OPERAND_OPEN);
              s.appendLeft(argument.end, RETURN_CLOSE);
            });
          }
          break;
        case 'ForOfStatement':
          if (node.await === true || usingIndex > 0) {
            inner.suspends = true;
            // Around the loop and its labels, so that every way out restores.
            let outer = node;
            for (let i = parents.length - 1; i >= 0 && parents[i]?.type === 'LabeledStatement'; i--)
              outer = parents[i] as AnyNode;
            edit(() => rewriteForOf(rewrite, node, outer, usingIndex));
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
        edit(() => rewriteUsingBlock(rewrite, node, usingIndex, functionBody));
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

  function finishFunction(info: FunctionInfo): void {
    const node = info.node;
    const body = node.body as AnyNode;
    if (body.type === 'BlockStatement') {
      const start = afterDirectives(body.body as AnyNode[], body.start + 1);
      // The body's own `await using` resources are disposed (awaited) before this finally.
      const exit = info.bodyUsing > 0 ? `${restoreUsing(info.bodyUsing)} ${EXIT}` : EXIT;
      s.appendLeft(start, ` let ${temporaries(info.usingBlocks)}; try {`);
      s.appendLeft(body.end - 1, ` } finally { ${exit} }`);
    } else {
      // An arrow's expression body, with the parentheses around it.
      const arrow = code.lastIndexOf('=>', body.start);
      s.appendLeft(arrow + 2, ` { let ${temporaries(info.usingBlocks)}; try { return (`);
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
  if (programInfo.suspends) prelude += ` var ${temporaries(programInfo.usingBlocks)};`;
  if (rewrite.needsIterate) prelude += ` ${ITERATE_HELPER}`;
  if (rewrite.needsDispose) prelude += ` ${DISPOSE_HELPER}`;
  if (at === 0) s.prepend(`${prelude}\n`);
  else s.appendLeft(at, `\n${prelude}\n`);
  return {
    code: s.toString(),
    map: s.generateMap({ source: id, includeContent: true, hires: true }) as SourceMap,
  };
}
