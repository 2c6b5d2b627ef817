/**
 * `for await` and `for (await using … of …)` in the await transform.
 * `for await` wraps its iterable so that each `next()`/`return()` call saves
 * the scope, and restores it at the top of the body and after the loop; a
 * head that runs code (a destructuring pattern) moves to the top of the
 * body, after that restore. `for (await using x of …)` declares x's
 * disposal in each iteration's body, as await-using.ts does for a block.
 */
import { wrappedResource } from './await-using.ts';
import { captureOnExit, HEAD, ITERATE_CLOSE, ITERATE_OPEN, RESTORE_PENDING, restoreUsing } from './emitted.ts';
import type { AnyNode, Rewrite } from './syntax.ts';

/**
 * Rewrites the `for … of` statement `node` (`outer`: it with its labels, so that every way
 * out restores); `usingIndex` is its `await using` block's number, or 0.
 */
export function rewriteForOf(rewrite: Rewrite, node: AnyNode, outer: AnyNode, usingIndex: number): void {
  const { s } = rewrite;
  const body = node.body as AnyNode;
  const left = node['left'] as AnyNode;
  const declaration = left.type === 'VariableDeclaration' ? left : undefined;
  const target = declaration === undefined ? left : ((declaration['declarations'] as AnyNode[])[0] as AnyNode);
  const pattern = declaration === undefined ? target : (target['id'] as AnyNode);
  const restore = node.await === true ? ` ${RESTORE_PENDING}` : '';
  if (usingIndex > 0) {
    // `for (await using x of …)`: x is a const, and each iteration's body declares its
    // disposal, so the loop goes on (next(), the next body) in the restored scope.
    s.overwrite(declaration?.start ?? 0, pattern.start, 'const ', { contentOnly: true });
    s.prependRight(
      body.start,
      `{${restore} try { ${wrappedResource(rewrite, String(pattern['name']), true, usingIndex)}; ${captureOnExit(usingIndex)} `,
    );
    s.appendLeft(body.end, ` } finally { ${restoreUsing(usingIndex)} } }`);
  } else if (pattern.type !== 'Identifier') {
    // The head runs code (defaults, computed keys, an iterator, a setter): it moves to
    // the top of the body, after the restore, in a block of its own around the body.
    s.appendLeft(pattern.start, declaration === undefined ? `const ${HEAD}` : HEAD);
    s.appendLeft(body.start, `{${restore} ${declaration === undefined ? '(' : `${String(declaration.kind)} `}`);
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
    rewrite.needsIterate = true;
    const right = node.right as AnyNode;
    s.prependRight(right.start, ITERATE_OPEN);
    s.appendLeft(right.end, ITERATE_CLOSE);
    s.prependRight(outer.start, 'try { ');
    s.appendLeft(outer.end, ` } finally { ${RESTORE_PENDING} }`);
  }
}
