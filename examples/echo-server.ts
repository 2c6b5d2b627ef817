/**
 * The asyncio example from Python's contextvars documentation, made real: a
 * TCP server stores each client's address in a ContextVar when the client
 * connects, and the code that answers (`render`, `renderGoodbye`) reads it
 * without being handed the address. Many clients talk at once; every reply
 * must carry the address of the client it goes to.
 *
 * Run it with `npm start`. In your own project, import from 'contextvars'.
 *
 * Python's original:
 *
 *     client_addr_var = contextvars.ContextVar('client_addr')
 *
 *     def render_goodbye():
 *         client_addr = client_addr_var.get()
 *         return f'Good bye, client @ {client_addr}\r\n'.encode()
 *
 *     async def handle_request(reader, writer):
 *         addr = writer.transport.get_extra_info('socket').getpeername()
 *         client_addr_var.set(addr)
 *         ...
 */
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { ContextVar } from '../src/index.ts';

/** `host:port` of the client the current connection serves. */
const clientAddress = new ContextVar<string>('clientAddress');

/** The echo of one line; the address comes from the context, not from a parameter. */
function render(line: string): string {
  return `echo ${line} @ ${clientAddress.get()}`;
}

function renderGoodbye(): string {
  return `goodbye @ ${clientAddress.get()}`;
}

/** Answers after a random pause, so that many connections interleave their turns. */
async function answer(line: string): Promise<string> {
  await sleep(Math.random() * 5);
  return render(line);
}

/**
 * One connection, as Python's `handle_request` coroutine: set the address
 * once, then echo each line until an empty one, which gets the goodbye.
 */
async function handleClient(socket: net.Socket): Promise<void> {
  clientAddress.set(`${socket.remoteAddress}:${socket.remotePort}`);
  for await (const line of createInterface({ input: socket, crlfDelay: Infinity })) {
    if (line === '') break;
    socket.write(`${await answer(line)}\n`);
  }
  socket.end(`${renderGoodbye()}\n`);
}

/** Starts the echo server on 127.0.0.1, on a port the system picks. */
export async function startEchoServer(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    handleClient(socket).catch(() => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

export interface EchoDemoOptions {
  /** How many clients connect at once. Default 50. */
  readonly clients?: number;
  /** How many lines each client sends before it says goodbye. Default 5. */
  readonly linesPerClient?: number;
}

export interface EchoDemoSummary {
  readonly clients: number;
  /** Lines echoed, goodbyes included. */
  readonly lines: number;
  /** Replies that were not exactly the expected text with the receiving client's own address. */
  readonly mismatches: number;
  /** The first few mismatched replies, for the report. */
  readonly examples: readonly { readonly expected: string; readonly received: string | undefined }[];
  readonly elapsedMs: number;
}

/**
 * Starts the server, connects `clients` real clients concurrently, each
 * sending `linesPerClient` lines with small random pauses and then an empty
 * line, checks that every reply names its own client, and closes everything.
 */
export async function runEchoDemo(options: EchoDemoOptions = {}): Promise<EchoDemoSummary> {
  const { clients = 50, linesPerClient = 5 } = options;
  const started = performance.now();
  const server = await startEchoServer();
  const { port } = server.address() as net.AddressInfo;
  const mismatched: { expected: string; received: string | undefined }[] = [];
  let lines = 0;

  async function converse(client: number): Promise<void> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    // What the server sees as the peer address is this socket's local address.
    const address = `${socket.localAddress}:${socket.localPort}`;
    const replies = createInterface({ input: socket, crlfDelay: Infinity })[Symbol.asyncIterator]();
    const check = async (expected: string): Promise<void> => {
      const next = await replies.next();
      const received = next.done ? undefined : next.value;
      lines += 1;
      if (received !== expected) mismatched.push({ expected, received });
    };
    for (let i = 0; i < linesPerClient; i++) {
      await sleep(Math.random() * 5);
      const line = `client ${client} line ${i}`;
      socket.write(`${line}\n`);
      await check(`echo ${line} @ ${address}`);
    }
    socket.write('\n');
    await check(`goodbye @ ${address}`);
    await replies.return?.();
    socket.destroy();
  }

  try {
    await Promise.all(Array.from({ length: clients }, (_, client) => converse(client)));
  } finally {
    server.close();
    await once(server, 'close');
  }
  return {
    clients,
    lines,
    mismatches: mismatched.length,
    examples: mismatched.slice(0, 5),
    elapsedMs: Math.round(performance.now() - started),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const summary = await runEchoDemo();
  console.log(
    `echo server: ${summary.clients} clients, ${summary.lines} lines, ` +
      `${summary.mismatches} mismatches, ${summary.elapsedMs} ms`,
  );
  for (const { expected, received } of summary.examples) {
    console.log(`  expected ${JSON.stringify(expected)}, received ${JSON.stringify(received)}`);
  }
  process.exitCode = summary.mismatches === 0 ? 0 : 1;
}
