/**
 * What the await transform reads of the code: the ESTree nodes acorn
 * parses, and the few places it finds in the text itself (after a keyword,
 * the comma between declarators, after a directive prologue).
 */
import { parse, type Options } from 'acorn';
import type MagicString from 'magic-string';
import { S } from './emitted.ts';

/** An ESTree node, with the fields this transform reads. */
export interface AnyNode {
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

/** The file being rewritten: its text, the edits, and what the prelude must add. */
export interface Rewrite {
  readonly code: string;
  readonly s: MagicString;
  /** Whether a `for await` was rewritten (the prelude defines ITERATE_HELPER). */
  needsIterate: boolean;
  /** Whether a `using` resource was wrapped (the prelude defines DISPOSE_HELPER). */
  needsDispose: boolean;
  /** How many resource wrappers the file declares (each has its own name). */
  disposables: number;
}

export function isFunction(node: AnyNode): boolean {
  return (
    node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression'
  );
}

export function children(node: AnyNode): AnyNode[] {
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

export function parseProgram(code: string): AnyNode {
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
export function declaresTemporaries(body: AnyNode): boolean {
  if (body.type !== 'BlockStatement' && body.type !== 'Program') return false;
  for (const statement of body.body as AnyNode[]) {
    if (typeof statement.directive === 'string') continue;
    const declarations = statement.type === 'VariableDeclaration' ? (statement['declarations'] as AnyNode[]) : [];
    return declarations.some((d) => (d['id'] as AnyNode | undefined)?.['name'] === S);
  }
  return false;
}

/** The end of a body's directive prologue (`"use strict"`), where declarations can go. */
export function afterDirectives(statements: AnyNode[], fallback: number): number {
  let position = fallback;
  for (const statement of statements) {
    if (typeof statement.directive !== 'string') break;
    position = statement.end;
  }
  return position;
}

/** The position of the comma that ends the declarator ending at `from` (comments may come between). */
export function commaAfter(code: string, from: number): number {
  let at = from;
  for (;;) {
    if (code.startsWith('/*', at)) at = code.indexOf('*/', at + 2) + 2;
    else if (code.startsWith('//', at)) at = code.indexOf('\n', at) + 1;
    else if (code[at] === ',') return at;
    else at++;
  }
}

/** The position just after `yield`, `yield*` or `await` (a `*` may follow `yield` after spaces or comments). */
export function afterKeyword(code: string, node: AnyNode): number {
  let at = node.start + 5;
  if (node.type !== 'YieldExpression' || node.delegate !== true) return at;
  for (;;) {
    if (/\s/.test(code[at] ?? '')) at++;
    else if (code.startsWith('/*', at)) at = code.indexOf('*/', at + 2) + 2;
    else if (code.startsWith('//', at)) at = code.indexOf('\n', at) + 1;
    else return at + 1; // the `*`
  }
}
