/** examples/pino-logging.ts: run as a program, every request line carries that request's id and user. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample } from '../support/run-example.ts';

test("examples/pino-logging.ts runs: every request line carries that request's id and user", async () => {
  const { code, stdout } = await runExample('pino-logging.ts');
  assert.equal(code, 0);
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { msg: string; requestId?: string; user: string });
  assert.deepEqual(lines[0], { level: 30, user: 'anonymous', msg: 'listening' });
  const users: Record<string, string> = { 'req-1': 'ada', 'req-2': 'grace', 'req-3': 'anonymous' };
  for (const id of Object.keys(users)) {
    const mine = lines.filter((line) => line.requestId === id);
    assert.deepEqual(
      mine.map((line) => line.msg),
      ['request received', 'orders loaded', 'responding'],
    );
    assert.ok(mine.every((line) => line.user === users[id]));
  }
});
