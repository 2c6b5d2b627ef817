/**
 * scope.ts on its own: what a set records, how undo takes it back, and the
 * invariants the module states (S3, S5, S9). The public faces (ContextVar,
 * Context) are tested in their own files; here the records and Cells are
 * looked at directly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Context, ContextVar } from '../../src/index.ts';
import { currentScope, currentValue, NO_VALUE, runLeft, type SetRecord, setValue, undo } from '../../src/scope.ts';

const v = new ContextVar<string>('v');
const w = new ContextVar<string>('w');
const inFreshContext = <R>(fn: () => R): R => new Context().run(fn);

test('a set returns one record: the variable, its new Cell, the live Cell before it, and both scopes', () => {
  inFreshContext(() => {
    const over = currentScope();
    const record = setValue(v, 'one');
    assert.equal(record.key, v);
    assert.equal(record.cell.value, 'one');
    assert.equal(record.cell.open, true);
    assert.equal(record.previous.value, NO_VALUE, 'no value before: the empty Cell');
    assert.equal(record.oldValue, NO_VALUE);
    assert.equal(record.made, over);
    assert.equal(record.entered, currentScope());
    assert.equal(currentValue(v), 'one');
    const second = setValue(v, 'two');
    assert.equal(second.previous, record.cell);
    assert.equal(second.oldValue, 'one');
  });
});

test('undo takes the record back: the frame reads the old value, the Cell links to the one before it', () => {
  inFreshContext(() => {
    const first = setValue(v, 'one');
    const second = setValue(v, 'two');
    undo(currentScope(), second);
    assert.equal(currentValue(v), 'one');
    assert.equal(second.cell.open, false);
    assert.equal(second.cell.before, first.cell);
    assert.equal(second.entered.alias, second.made, 'the scope the set entered reads as the one it was made over');
  });
});

test('S9: a set over an undone Cell links to the live one, so chains do not grow from one set to the next', () => {
  inFreshContext(() => {
    const base = setValue(v, 'base');
    let captured = currentScope();
    for (let job = 0; job < 1_000; job++) {
      // The next job starts in the scope this one captured before its reset.
      const record = setValue(v, `job ${job}`);
      const next = currentScope();
      undo(next, record);
      assert.equal(record.cell.before, base.cell, `job ${job}: the undone Cell links to the live one`);
      captured = next;
    }
    assert.equal(captured.mapping.lookup(v, undefined)?.before, base.cell);
  });
});

test('an out-of-order undo links to what is live at that moment, not to a Cell undone before it', () => {
  inFreshContext(() => {
    const base = setValue(v, 'base');
    const first = setValue(v, 'one');
    const second = setValue(v, 'two');
    undo(currentScope(), first); // out of order: 'two' was set over 'one'
    assert.equal(first.cell.before, base.cell);
    assert.equal(currentValue(v), 'base', "the frame reads the token's old value (Python's result)");
    undo(currentScope(), second);
    assert.equal(second.cell.before, base.cell, "'one' was undone already: the link skips it");
    assert.equal(currentValue(v), 'one', "and the frame reads the second token's old value");
  });
});

test('S5: runLeft names the run a record was made in once the frame is outside it', () => {
  inFreshContext(() => {
    const outside = setValue(w, 'outside');
    let inside: SetRecord | undefined;
    let insideScopeLeft: unknown = 'unset';
    v.run('scoped', () => {
      inside = setValue(w, 'inside');
      insideScopeLeft = runLeft(currentScope(), inside);
      assert.equal(runLeft(currentScope(), outside), null, 'a record made outside every run resets anywhere');
    });
    assert.equal(insideScopeLeft, null, 'inside its run');
    assert.equal(runLeft(currentScope(), inside as SetRecord), v, 'after the run: the run of v');
  });
});
