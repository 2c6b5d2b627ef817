/**
 * examples/echo-server.ts: every reply of the echo server names the client
 * it goes to, with many real clients talking at once, and `npm start` runs it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { runEchoDemo } from '../../examples/echo-server.ts';

test('50 concurrent clients each get every reply with their own address', async () => {
  const summary = await runEchoDemo({ clients: 50, linesPerClient: 5 });
  assert.deepEqual(summary.examples, []);
  assert.equal(summary.mismatches, 0);
  assert.equal(summary.clients, 50);
  // Five echoes and a goodbye per client: every reply arrived and was checked.
  assert.equal(summary.lines, 50 * 6);
});

test('a second run in the same process is isolated from the first', async () => {
  const [a, b] = await Promise.all([runEchoDemo({ clients: 20 }), runEchoDemo({ clients: 20 })]);
  assert.equal(a.mismatches + b.mismatches, 0);
  assert.equal(a.lines + b.lines, 2 * 20 * 6);
});

test('npm start runs the demo on its own and exits 0 with a summary', async () => {
  const child = spawn('npm', ['start', '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, output);
  assert.match(output, /^echo server: 50 clients, 300 lines, 0 mismatches, \d+ ms$/m);
});
