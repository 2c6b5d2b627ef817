/**
 * The database-transaction recipe of docs/recipes.md under load: a
 * transaction per request, found by repository functions in a variable,
 * with nested services, a nested transaction() that joins the outer one,
 * and Promise.all inside. A fake in-process database records which
 * transaction each query ran in and which service issued it; 200
 * concurrent requests on 127.0.0.1 must leave 0 queries in another
 * request's transaction and 0 values leaked between sibling services.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContextVar, copyContext } from '../../../src/index.ts';
import { mismatches } from '../../support/load.ts';
import { TEST_SEED, seededRandom } from '../../support/random.ts';

const REQUESTS = 200;

interface Query {
  readonly transaction: number;
  readonly request: string;
  readonly service: string;
  readonly sql: string;
}

/** Records every query with the transaction it ran in; commits count per transaction. */
class FakeDatabase {
  readonly queries: Query[] = [];
  readonly commits = new Map<number, string>();
  #next = 0;
  begin(request: string): Transaction {
    return new Transaction(this, ++this.#next, request);
  }
}
class Transaction {
  constructor(
    readonly db: FakeDatabase,
    readonly id: number,
    readonly request: string,
  ) {}
  async query(sql: string, service: string, request: string): Promise<void> {
    await sleep(random.int(0, 2)); // a round trip of varying length
    this.db.queries.push({ transaction: this.id, request, service, sql });
  }
  commit(): void {
    this.db.commits.set(this.id, this.request);
  }
}

const random = seededRandom(TEST_SEED);
const db = new FakeDatabase();
const currentTransaction = new ContextVar<Transaction | undefined>('transaction', { default: undefined });
const requestId = new ContextVar<string>('requestId', { default: '-' });
const service = new ContextVar<string>('service', { default: 'none' });

/** As the recipe writes it: a copy of the context with the transaction set; a nested call joins. */
async function transaction<T>(fn: () => Promise<T>): Promise<T> {
  if (currentTransaction.get() !== undefined) return fn();
  return copyContext().run(async () => {
    const tx = db.begin(requestId.get());
    currentTransaction.set(tx);
    const result = await fn();
    tx.commit();
    return result;
  });
}

function tx(): Transaction {
  const running = currentTransaction.get();
  if (running === undefined) throw new Error('call this inside transaction()');
  return running;
}

/** A service scopes its name with v.run, as the recipes' second rule says, so siblings never see it. */
const inService = <T>(name: string, fn: () => Promise<T>): Promise<T> => service.run(name, fn);
const query = (sql: string) => tx().query(sql, service.get(), requestId.get());

const loadCustomer = () =>
  inService('customers', async () => {
    await query('select customer');
    await Promise.all([query('select address'), inService('loyalty', () => query('select points'))]);
  });
const reserveStock = () =>
  inService('stock', async () => {
    await transaction(async () => {
      await Promise.all([query('lock item'), query('update stock')]);
    });
  });
const placeOrder = () =>
  transaction(async () => {
    await Promise.all([loadCustomer(), reserveStock()]);
    await inService('orders', () => query('insert order'));
  });

test(`a transaction per request with nested services and Promise.all: ${REQUESTS} requests, 0 mismatches (TEST_SEED=${TEST_SEED})`, async () => {
  const server = createServer(async (req, res) => {
    requestId.set(String(req.headers['x-request-id']));
    await placeOrder();
    res.end(`${requestId.get()} ${service.get()}`);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const wrongAnswers = await mismatches(REQUESTS, async (i) => {
      const seen = await (await fetch(base, { headers: { 'x-request-id': `r-${i}` } })).text();
      return seen === `r-${i} none` ? undefined : `r-${i} answered ${seen}`;
    });
    assert.deepEqual(wrongAnswers, []);
  } finally {
    server.close();
  }

  const ownerOf = new Map([...db.commits].map(([id, request]) => [id, request]));
  assert.equal(ownerOf.size, REQUESTS, 'one committed transaction per request (the nested one joined)');
  const inAnotherTransaction = db.queries.filter((q) => ownerOf.get(q.transaction) !== q.request);
  assert.deepEqual(inAnotherTransaction, [], "queries that ran in another request's transaction");
  const expectedService: Record<string, string> = {
    'select customer': 'customers',
    'select address': 'customers',
    'select points': 'loyalty',
    'lock item': 'stock',
    'update stock': 'stock',
    'insert order': 'orders',
  };
  const leaked = db.queries.filter((q) => expectedService[q.sql] !== q.service);
  assert.deepEqual(leaked, [], 'queries that saw a sibling service');
  assert.equal(db.queries.length, REQUESTS * Object.keys(expectedService).length);
  assert.equal(currentTransaction.get(), undefined);
});
