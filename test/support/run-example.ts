/** Runs a program from examples/ as a user would (`node --import tsx`), for the tests that check its output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs examples/<name> to completion; stderr passes through to the test's output. */
export async function runExample(name: string): Promise<{ code: number | null; stdout: string }> {
  const example = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', example], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout };
}
