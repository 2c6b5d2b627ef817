/**
 * Tests that need a program beyond Node (python3, Chromium): on a machine
 * without it they are skipped, with the reason in their name, so `npm test`
 * passes there. Under CI (CI=true) nothing is skipped: a missing program makes
 * the test run and fail, so CI cannot pass without what it is meant to test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Whether `command --version` runs here. */
export function canRun(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Whether `path` exists here. */
export function hasFile(path: string): boolean {
  return existsSync(path);
}

export interface Requirement {
  /** `name`, plus the reason when the test is skipped. */
  readonly name: (name: string) => string;
  /** node:test options: a skip reason when the program is missing outside CI. */
  readonly options: { readonly skip: string | false };
  /** Whether the program is here. */
  readonly present: boolean;
}

/** What a test that needs `program` (found when `present`) is named and given. */
export function needs(program: string, present: boolean): Requirement {
  const skip = !present && process.env['CI'] !== 'true' ? `skipped: ${program} is missing` : false;
  return {
    name: (name) => (skip ? `${name} (${skip})` : name),
    options: { skip },
    present,
  };
}
