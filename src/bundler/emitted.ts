/**
 * Every piece of code the await transform writes into a module, in one
 * place: the names of its temporaries, the statements that save and restore
 * the scope on the cell the browser runtime shares (src/runtime/browser.ts
 * defines the same cell), the prelude and the helpers. The modules that
 * rewrite each construct (transform.ts, for-await.ts, await-using.ts) join
 * these pieces with plain syntax and name no temporary themselves.
 *
 * Temporaries, per transformed function: S, the saved scope (0 when no
 * suspension is pending); B, the scope current when this job resumed the
 * function (0 in the synchronous prefix); R, the operand and result; U<n>,
 * the scope an `await using` block was left with.
 */

/** The shared cell: `c` is the current scope. */
export const CELL = '$__cv';
export const S = '$__cvS';
export const B = '$__cvB';
export const R = '$__cvR';
/** The `for await` wrapper ({@link ITERATE_HELPER}). */
export const ITERATE = '$__cvI';
/** A `for await` head's value, when the head's own code moves into the body. */
export const HEAD = '$__cvX';
export const MARKER = '/* contextvars: await transform */';

/** Saving the scope: the part of an `await` that runs just before it suspends. */
export const SAVE = `${S} = ${CELL}.c, ${B} !== 0 && (${CELL}.c = ${B})`;
/** Restoring a pending save (after a rejected `await`, at a `catch`/`finally`, in a `for await` body). */
export const RESTORE_PENDING = `${S} !== 0 && (${B} = ${CELL}.c, ${CELL}.c = ${S}, ${S} = 0);`;
/** What a transformed function runs when it returns or throws. */
export const EXIT = `${S} !== 0 ? ${S} = 0 : ${B} !== 0 && (${CELL}.c = ${B});`;

/**
 * The key of the cell on globalThis: src/runtime/browser.ts defines the same
 * cell under it (import it from there once that module exports it apart).
 */
const CELL_KEY = JSON.stringify('contextvars.browser.cell.v1');

/** The cell the browser runtime shares, found or created at the top of every transformed module. */
export const PRELUDE =
  `${MARKER} var ${CELL} = globalThis[Symbol.for(${CELL_KEY})] || ` +
  `(globalThis[Symbol.for(${CELL_KEY})] = { c: void 0, d: 0 });`;

/** Wraps a `for await` iterable so that its iterator's `next` and `return` call `save` first. */
export const ITERATE_HELPER =
  `function ${ITERATE}(o, save) { var a = o[Symbol.asyncIterator], k = a != null ? Symbol.asyncIterator : Symbol.iterator, ` +
  `m = a != null ? a : o[Symbol.iterator], w = {}; w[k] = function () { var it = m.call(o), n = it.next, r = it.return, t = it.throw, x = ` +
  `{ next: function (v) { save(); return n.call(it, v); } }; if (r != null) x.return = function (v) { save(); return r.call(it, v); }; ` +
  `if (t != null) x.throw = function (v) { save(); return t.call(it, v); }; return x; }; return w; }`;

export const DISPOSE = '$__cvD';
/** The dispose symbols, as esbuild's and Babel's lowering of `using` finds them where the runtime has none. */
export const DISPOSE_SYMBOL = '$__cvY';
export const ASYNC_DISPOSE_SYMBOL = '$__cvZ';
/**
 * What a block's `using` (a = 0) or `await using` (a = 1) of the value `v`, named `n`, declares
 * instead, so that its disposal goes through `run`: null and undefined as they are, else a
 * resource whose dispose method calls `run` with the one `v` has (looked up once, now, with the
 * same checks and TypeErrors as the declaration's; a sync `[Symbol.dispose]` under `await using`
 * reports a throw as a rejection, as the spec's wrapper does). The same awaits, in the same order.
 */
export const DISPOSE_HELPER =
  `var ${DISPOSE_SYMBOL} = Symbol.dispose || Symbol.for("Symbol.dispose"), ${ASYNC_DISPOSE_SYMBOL} = Symbol.asyncDispose || Symbol.for("Symbol.asyncDispose"); ` +
  `function ${DISPOSE}(v, a, n, run) { if (v == null) return v; ` +
  `if (typeof v !== "object" && typeof v !== "function") throw new TypeError(n + " is not disposable: " + (a ? "await using" : "using") + " needs an object, null or undefined"); ` +
  `var m = a ? v[${ASYNC_DISPOSE_SYMBOL}] : void 0, s = false; if (m == null) { m = v[${DISPOSE_SYMBOL}]; s = !!a; } ` +
  `if (typeof m !== "function") throw new TypeError(n + " is not disposable: it has no " + (a ? "[Symbol.asyncDispose] or " : "") + "[Symbol.dispose] method"); ` +
  `var o = {}; o[a ? ${ASYNC_DISPOSE_SYMBOL} : ${DISPOSE_SYMBOL}] = function () { return run(function () { ` +
  `if (!s) return m.call(v); try { m.call(v); } catch (e) { return Promise.reject(e); } }); }; return o; }`;

/** What a module that declares the transform's temporaries at its top level starts them with. */
export const DECLARES_TEMPORARIES = /\bvar \$__cvS\b/;

/** The part of a suspension that runs when the function resumes: the job's scope kept, the saved one back. */
export const RESUME = `${B} = ${CELL}.c, ${CELL}.c = ${S}, ${S} = 0, ${R}`;

/** The temporaries a function (or a module) declares, `usingBlocks` of them for its `await using` blocks. */
export function temporaries(usingBlocks: number): string {
  const names = [`${S} = 0`, `${B} = 0`, R];
  for (let i = 1; i <= usingBlocks; i++) names.push(`${USING}${i} = 0`);
  return names.join(', ');
}

const USING = '$__cvU';
const CAPTURE = '$__cvK';
const WRAPPED = '$__cvW';

/** Puts back the scope the `await using` block `n` was left with, once its disposals are done. */
export function restoreUsing(n: number): string {
  return `${USING}${n} !== 0 && (${B} = ${CELL}.c, ${CELL}.c = ${USING}${n}, ${USING}${n} = 0);`;
}

/**
 * The declaration of the wrapper (number `w`) for the resource `name` of the block `n`
 * (see {@link DISPOSE_HELPER}): its disposal runs in the scope the block was left with, kept
 * in U<n>, and then puts back the scope it found. The first disposal to run keeps that scope,
 * unless {@link captureOnExit} did, and puts back the one this function's job started with instead.
 */
export function disposable(name: string, async: boolean, n: number, w: number): string {
  const U = `${USING}${n}`;
  const run =
    `function (f) { var b = ${U} === 0 ? (${U} = ${CELL}.c, ${B} !== 0 ? ${B} : ${U}) : ${CELL}.c; ` +
    `${CELL}.c = ${U}; try { return f(); } finally { ${CELL}.c = b; } }`;
  return `${async ? 'await using' : 'using'} ${WRAPPED}${w} = ${DISPOSE}(${name}, ${async ? 1 : 0}, ${JSON.stringify(name)}, ${run})`;
}

/**
 * Declared after a block's last resource, so disposed first, before anything awaits (a `using`
 * adds no await there, even after a null `await using`): keeps the scope the block is left
 * with, and puts back the one this function's job started with for the suspension to come.
 */
export function captureOnExit(n: number): string {
  return `using ${CAPTURE}${n} = { [${DISPOSE_SYMBOL}]: () => { ${USING}${n} = ${CELL}.c; ${B} !== 0 && (${CELL}.c = ${B}); } };`;
}

/** Around a `for await` iterable: each `next()`/`return()`/`throw()` of its iterator saves first. */
export const ITERATE_OPEN = `${ITERATE}(`;
export const ITERATE_CLOSE = `, function () { ${SAVE}; })`;

/** `yield` alone, rewritten whole: nothing to evaluate first. */
export function bareSuspension(keyword: string): string {
  return `(${SAVE}, ${R} = ${keyword}, ${RESUME})`;
}

/** Around `await x` whose operand runs no code (a name, a literal, `this`): the save goes first. */
export const SIMPLE_OPEN = `(${SAVE}, ${R} = `;
export const SIMPLE_CLOSE = `, ${RESUME})`;

/** Around any other operand, which runs before the save: `(R = (X), save, R = await R, resume)`. */
export const OPERAND_OPEN = `(${R} = (`;
export function operandClose(keyword: string): string {
  return `), ${SAVE}, ${R} = ${keyword} ${R}, ${RESUME})`;
}

/** After an async generator's `return X` operand (opened by {@link OPERAND_OPEN}): saved before X is awaited. */
export const RETURN_CLOSE = `), ${SAVE}, ${R})`;
