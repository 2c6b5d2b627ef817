/**
 * `await using` in the await transform. A block with `await using` is left
 * (at its end, by `break`, `return` or an exception) before its disposals,
 * which are native awaits: each resource is declared through a wrapper whose
 * dispose method runs the resource's own in the scope the block was left
 * with and then puts back the scope it found; after the last one, a `using`
 * resource of the block's own, disposed first, keeps that scope and puts
 * back the one this function's job started with; a `finally` around the
 * block restores the kept scope once the disposals are done. No await is
 * added or removed. (`for (await using x of …)` is in for-await.ts.)
 */
import { captureOnExit, disposable, restoreUsing } from './emitted.ts';
import { type AnyNode, commaAfter, type Rewrite } from './syntax.ts';

/** Whether `node` is a block, or a `for … of` head, that declares an `await using` resource. */
export function declaresAwaitUsing(node: AnyNode): boolean {
  return node.type === 'BlockStatement'
    ? (node.body as AnyNode[]).some((st) => st.type === 'VariableDeclaration' && st.kind === 'await using')
    : node.type === 'ForOfStatement' &&
        (node['left'] as AnyNode).type === 'VariableDeclaration' &&
        (node['left'] as AnyNode).kind === 'await using';
}

/** The wrapper declaration of the resource `name` of the block `n` (see emitted.ts, `disposable`). */
export function wrappedResource(rewrite: Rewrite, name: string, async: boolean, n: number): string {
  rewrite.needsDispose = true;
  return disposable(name, async, n, ++rewrite.disposables);
}

/**
 * Rewrites the block `node`, the `n`th with `await using` in its function. A function's
 * own body gets no `finally` here: the function's exit restores after its disposals.
 */
export function rewriteUsingBlock(rewrite: Rewrite, node: AnyNode, n: number, functionBody: boolean): void {
  const { s, code } = rewrite;
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
      const comma = commaAfter(code, (declarators[i - 1] as AnyNode).end);
      s.overwrite(comma, comma + 1, `; ${wrappedResource(rewrite, name(i - 1), async, n)}; const`);
    }
    const last = index === resources.length - 1 ? ` ${captureOnExit(n)}` : '';
    s.appendLeft(statement.end, `; ${wrappedResource(rewrite, name(declarators.length - 1), async, n)};${last}`);
  });
  if (!functionBody) {
    s.appendLeft(node.start + 1, ' try {');
    s.appendLeft(node.end - 1, ` } finally { ${restoreUsing(n)} } `);
  }
}
