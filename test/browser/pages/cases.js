// The bundled browser pages' small test runner: cases registered with test()
// run in order by runCases(), each reported as { name, ok, error? } for the
// harness to turn into subtests.
const cases = [];

export const test = (name, fn) => cases.push({ name, fn });

export function assertEqual(actual, expected, what = 'value') {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Runs `fn` as the case `name`, and appends its result to `results`. */
export async function runCase(results, name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.stack ?? error) });
  }
}

/** Runs every registered case in order; returns their results. */
export async function runCases() {
  const results = [];
  for (const { name, fn } of cases) await runCase(results, name, fn);
  return results;
}
