// The connection table over real loopback sockets: who is evicted at the cap (the oldest without a request
// in progress), that a busy connection is never evicted, refusal when all are busy, and the default cap from
// the fd budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ConnectionTable, defaultConnectionLimit, openFileLimit, type Admission } from '../../../src/sinks/prometheus/connections.js';

/** A server whose accepted sockets go through `table`; `open()` connects a client and returns both ends. */
async function harness(table: ConnectionTable): Promise<{ open: () => Promise<{ client: Socket; server: Socket; outcome: Admission; closed: () => boolean }>; close: () => Promise<void> }> {
  const accepted: ((s: Socket) => void)[] = [];
  const srv: Server = createServer((s) => accepted.shift()?.(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const clients: Socket[] = [];
  return {
    open: async () => {
      const server = new Promise<Socket>((r) => accepted.push(r));
      const client = connect(port, '127.0.0.1');
      client.on('error', () => undefined);
      clients.push(client);
      let isClosed = false;
      client.once('close', () => (isClosed = true));
      const s = await server;
      const outcome = table.admit(s);
      return { client, server: s, outcome, closed: () => isClosed };
    },
    close: async () => {
      table.closeAll();
      for (const c of clients) c.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

test('at the cap the oldest connection without a request in progress is closed; busy ones stay; all busy refuses', async () => {
  const table = new ConnectionTable(3);
  const h = await harness(table);
  try {
    const a = await h.open();
    const b = await h.open();
    const c = await h.open();
    assert.deepEqual([a.outcome, b.outcome, c.outcome], ['admitted', 'admitted', 'admitted']);
    table.requestStarted(a.server); // a has a request in progress: not evictable
    const d = await h.open();
    assert.equal(d.outcome, 'evicted-oldest');
    await tick();
    assert.deepEqual([a.closed(), b.closed(), c.closed(), d.closed()], [false, true, false, false], 'b, the oldest waiting, went');
    assert.equal(table.size, 3);
    // c finishes a request and goes back to waiting: it is now the newest waiting, so d goes before it.
    table.requestStarted(c.server);
    table.requestDone(c.server);
    const e = await h.open();
    assert.equal(e.outcome, 'evicted-oldest');
    await tick();
    assert.deepEqual([c.closed(), d.closed()], [false, true]);
    // All held connections busy: the new one is refused and the busy ones are untouched.
    table.requestStarted(c.server);
    table.requestStarted(e.server);
    const f = await h.open();
    assert.equal(f.outcome, 'refused');
    await tick();
    assert.deepEqual([a.closed(), c.closed(), e.closed(), f.closed()], [false, false, false, true]);
    // closeWaiting leaves the busy ones and says how many remain.
    table.requestDone(a.server);
    assert.equal(table.closeWaiting(), 2);
    await tick();
    assert.deepEqual([a.closed(), c.closed(), e.closed()], [true, false, false]);
  } finally {
    await h.close();
  }
});

test('a connection closed by its client leaves the table', async () => {
  const table = new ConnectionTable(2);
  const h = await harness(table);
  try {
    const a = await h.open();
    await h.open();
    a.client.destroy();
    await tick();
    assert.equal(table.size, 1);
    assert.equal((await h.open()).outcome, 'admitted');
  } finally {
    await h.close();
  }
});

test('the default cap is a quarter of RLIMIT_NOFILE, within 64..4096, read from /proc/self/limits', () => {
  const limits = (n: string): string => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${n}                 1048576              files\n`;
  assert.equal(openFileLimit(limits('1024')), 1024);
  assert.equal(openFileLimit(limits('unlimited')), undefined);
  assert.equal(defaultConnectionLimit(1024), 256);
  assert.equal(defaultConnectionLimit(20_000), 4096);
  assert.equal(defaultConnectionLimit(100), 64);
  const own = openFileLimit();
  assert.ok(own !== undefined && own > 0, 'this process has a limit in /proc/self/limits');
  assert.equal(defaultConnectionLimit(), Math.min(4096, Math.max(64, Math.floor(own / 4))));
  assert.throws(() => new ConnectionTable(0), /positive integer/);
});
