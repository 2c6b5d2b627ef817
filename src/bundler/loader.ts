/**
 * The webpack and Rspack loader behind `contextvars/bundler`'s `webpack()`
 * and `rspack()` plugins: runs the `await` transform on each module.
 *
 * @module
 */
import { transformAsync } from './transform.ts';

interface LoaderContext {
  resourcePath: string;
  callback(error: Error | null, code?: string, map?: object): void;
  emitWarning(error: Error): void;
}

export default function contextvarsLoader(this: LoaderContext, source: string, map?: object): void {
  try {
    const result = transformAsync(source, this.resourcePath);
    if (result === null) this.callback(null, source, map);
    else this.callback(null, result.code, result.map);
  } catch (error) {
    this.emitWarning(new Error(`contextvars: left ${this.resourcePath} untransformed: ${String(error)}`));
    this.callback(null, source, map);
  }
}
