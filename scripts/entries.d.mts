// Types of scripts/entries.mjs, for the tests and tsup.config.ts that import it.
export interface Entry {
  /** What users import (`contextvars/<subpath>`); '.' is the package itself. */
  readonly subpath: string;
  /** The module tsup builds it from. */
  readonly source: string;
}
export declare const entries: readonly Entry[];
export declare function distName(subpath: string): string;
export declare function tsupEntries(): Record<string, string>;
export declare function exportsField(): Record<string, unknown>;
export declare function typesVersionsField(): { '*': Record<string, string[]> };
export declare function withEntries<T extends object>(
  manifest: T,
): T & {
  exports: Record<string, unknown>;
  typesVersions: { '*': Record<string, string[]> };
};
