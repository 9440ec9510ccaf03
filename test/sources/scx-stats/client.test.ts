import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import {
  ScxStatsClient,
  ScxStatsTimeoutError,
  ScxStatsUnavailableError,
  probeScxStats,
} from '../../../src/sources/scx-stats/client.js';
import { ScxStatsErrnoError, ScxStatsProtocolError, encodeRequest } from '../../../src/sources/scx-stats/protocol.js';
import { TestStatsServer } from './server.js';

/** The README's example meta: a top struct with a string, a skipped array and a dict of structs. */
const exampleMeta = {
  ClusterStats: {
    desc: 'cluster statistics',
    fields: {
      at: { datum: 'u64', desc: 'update timestamp' },
      bitmap: { array: 'u64', desc: 'some bitmap we want to report', user: { _om_skip: 'true' } },
      doms_dict: { desc: 'domain statistics', dict: { datum: { struct: 'DomainStats' }, key: 'u64' } },
      name: { datum: 'string' },
    },
    name: 'ClusterStats',
    top: 'true',
  },
  DomainStats: {
    desc: 'domain statistics',
    fields: {
      events: { datum: 'u64', desc: 'an event counter' },
      name: { datum: 'string' },
      pressure: { datum: 'float', desc: 'a gauge number' },
    },
    name: 'DomainStats',
    user: { _om_label: 'domain_name', _om_prefix: 'd_' },
  },
};

/** A server with a counting `top` (per-connection deltas) and an `echo` target that returns its args. */
async function exampleServer(): Promise<{ server: TestStatsServer; bump: (n: number) => void }> {
  let events = 0;
  const server = await TestStatsServer.start({
    meta: exampleMeta,
    targets: {
      top: () => {
        let prev = events;
        return () => {
          const d = events - prev;
          prev = events;
          return { at: 12345, bitmap: [3735928559, 3203391149], doms_dict: { '0': { events: d, name: 'domain 0', pressure: 1.234 } }, name: 'test cluster' };
        };
      },
      echo: () => (args) => ({ ...args }),
    },
  });
  return { server, bump: (n) => (events += n) };
}

test('request lines are byte-exact: sorted string args, one line each', () => {
  assert.equal(encodeRequest('stats_meta'), '{"req":"stats_meta","args":{}}\n');
  assert.equal(encodeRequest('stats', { target: 'top' }), '{"req":"stats","args":{"target":"top"}}\n');
});

test('stats_meta with nested dicts, several targets, string args passed through, sorted as BTreeMap sends them', async () => {
  const { server } = await exampleServer();
  const c = new ScxStatsClient({ path: server.path });
  try {
    await c.connect();
    const meta = await c.statsMeta();
    assert.deepEqual(Object.keys(meta), ['ClusterStats', 'DomainStats']);
    assert.deepEqual(meta.ClusterStats?.fields.doms_dict, { desc: 'domain statistics', dict: { datum: { struct: 'DomainStats' }, key: 'u64' } });
    const top = (await c.stats()) as Record<string, unknown>;
    assert.equal(top.name, 'test cluster');
    const echo = await c.stats('echo', { nr_samples: '4' });
    assert.deepEqual(echo, { nr_samples: '4', target: 'echo' });
    assert.deepEqual(server.requests, [
      '{"req":"stats_meta","args":{}}',
      '{"req":"stats","args":{"target":"top"}}',
      '{"req":"stats","args":{"nr_samples":"4","target":"echo"}}',
    ]);
    assert.equal(server.connections, 1, 'one persistent connection carries every request');
  } finally {
    c.close();
    await server.close();
  }
});

test('errno 22 with a string resp: one clear error naming errno and cause; the connection stays usable', async () => {
  const { server } = await exampleServer();
  const c = new ScxStatsClient({ path: server.path });
  try {
    await c.connect();
    const err = await c.stats('nope').then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ScxStatsErrnoError);
    assert.equal(err.errno, 22);
    assert.match(err.message, /"stats" failed with errno 22: Invalid argument \(os error 22\) Caused by: unknown stat target StatsRequest/);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    const bad = await c.request('frobnicate').catch((e: unknown) => e);
    assert.ok(bad instanceof ScxStatsErrnoError && /unknown command "frobnicate"/.test(bad.message));
    assert.ok(c.connected);
    assert.equal(((await c.stats()) as { name: string }).name, 'test cluster');
  } finally {
    c.close();
    await server.close();
  }
});

test('several clients at once each get their own per-interval deltas', async () => {
  const { server, bump } = await exampleServer();
  const clients = Array.from({ length: 5 }, () => new ScxStatsClient({ path: server.path }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const sums = clients.map(() => 0);
    const read = async (i: number): Promise<void> => {
      const r = (await clients[i]?.stats()) as { doms_dict: Record<string, { events: number }> };
      sums[i] = (sums[i] as number) + (r.doms_dict['0']?.events ?? NaN);
    };
    await Promise.all(clients.map((_, i) => read(i))); // opens every reader: the baseline
    bump(10);
    await Promise.all([read(0), read(1), read(2)]);
    bump(5);
    await Promise.all(clients.map((_, i) => read(i)));
    assert.deepEqual(sums, [15, 15, 15, 15, 15], 'every client counted all events exactly once over its own reads');
    assert.equal(server.connections, 5);
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
});

test('a slow server: queued requests on one connection are answered in order', async () => {
  const { server } = await exampleServer();
  server.delayMs = 60;
  const c = new ScxStatsClient({ path: server.path, readTimeoutMs: 5000 });
  try {
    await c.connect();
    const [a, b, m] = await Promise.all([c.stats('echo', { n: '1' }), c.stats('echo', { n: '2' }), c.statsMeta()]);
    assert.deepEqual(a, { n: '1', target: 'echo' });
    assert.deepEqual(b, { n: '2', target: 'echo' });
    assert.ok('DomainStats' in m);
  } finally {
    c.close();
    await server.close();
  }
});

test('a hanging server: the read times out, the connection is closed, and a new one works', async () => {
  const { server } = await exampleServer();
  const c = new ScxStatsClient({ path: server.path, readTimeoutMs: 80 });
  try {
    await c.connect();
    server.hang = true;
    const err = await c.stats().catch((e: unknown) => e);
    assert.ok(err instanceof ScxStatsTimeoutError, String(err));
    assert.match(err.message, /no response to "stats" from .* within 80 ms/);
    assert.equal(c.connected, false);
    server.hang = false;
    await c.connect();
    assert.equal(((await c.stats()) as { name: string }).name, 'test cluster');
  } finally {
    c.close();
    await server.close();
  }
});

test('a restart: EOF fails the request in flight, reconnecting reaches the new server', async () => {
  const { server } = await exampleServer();
  const c = new ScxStatsClient({ path: server.path });
  try {
    await c.connect();
    await c.stats();
    server.hang = true;
    const pending = c.stats().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    await server.stop();
    const err = await pending;
    assert.match(String(err), /closed by the server .* \(EOF\)/);
    const down = await c.connect().catch((e: unknown) => e);
    assert.ok(down instanceof ScxStatsUnavailableError, String(down));
    server.hang = false;
    await server.listen();
    await c.connect();
    assert.equal(((await c.stats()) as { name: string }).name, 'test cluster');
  } finally {
    c.close();
    await server.close();
  }
});

test('a malformed line, a wrong-shape response and an unsolicited line are protocol errors that drop the connection', async () => {
  const { server } = await exampleServer();
  const c = new ScxStatsClient({ path: server.path });
  try {
    for (const [line, want] of [
      ['{"errno":0,"args":{"resp":', /response to "stats" is not JSON/],
      ['{"ok":true}', /is not \{"errno": INT, "args": \{"resp": \.\.\.\}\}/],
      ['{"errno":"0","args":{}}', /is not \{"errno": INT/],
    ] as const) {
      await c.connect();
      server.injected.push(line);
      const err = await c.stats().catch((e: unknown) => e);
      assert.ok(err instanceof ScxStatsProtocolError, String(err));
      assert.match(err.message, want);
      c.close();
    }
    // Two lines for one request: the second was never asked for.
    await c.connect();
    server.injected.push('{"errno":0,"args":{"resp":1}}\n{"errno":0,"args":{"resp":2}}');
    assert.equal(await c.request('stats'), 1);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(c.connected, false, 'the unsolicited line closed the connection');
    const bad = await c.statsMeta().catch((e: unknown) => e);
    assert.match(String(bad), /not connected/);
  } finally {
    c.close();
    await server.close();
  }
});

test('a 10 MB line fails cleanly at the line limit: the client hangs up instead of reading it all', async () => {
  const { server } = await exampleServer();
  const c = new ScxStatsClient({ path: server.path, maxLineBytes: 1 << 20 });
  try {
    await c.connect();
    server.injected.push(`{"errno":0,"args":{"resp":"${'x'.repeat(10 * 1024 * 1024)}"}}`);
    const err = await c.stats().catch((e: unknown) => e);
    assert.ok(err instanceof ScxStatsProtocolError, String(err));
    assert.match(err.message, /longer than 1048576 bytes; connection dropped/);
    assert.equal(c.connected, false);
    // The server could not hand its 10 MB to a client that stopped reading at 1 MiB.
    for (let i = 0; i < 100 && server.writeErrors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(server.writeErrors.some((e) => e === 'EPIPE' || e === 'ECONNRESET'), `server write errors: ${server.writeErrors.join(',')}`);
    await c.connect();
    assert.equal(((await c.stats()) as { name: string }).name, 'test cluster');
  } finally {
    c.close();
    await server.close();
  }
});

test('connect errors say whether anyone is there: ENOENT, ECONNREFUSED (stale socket file), timeout-free', async () => {
  const free = TestStatsServer.freePath();
  try {
    const missing = await new ScxStatsClient({ path: free.path }).connect().catch((e: unknown) => e);
    assert.ok(missing instanceof ScxStatsUnavailableError);
    assert.equal(missing.code, 'ENOENT');
    assert.match(missing.message, /no stats socket at .* \(ENOENT\)/);
    writeFileSync(free.path, ''); // a file nobody listens on
    const refused = await new ScxStatsClient({ path: free.path }).connect().catch((e: unknown) => e);
    assert.ok(refused instanceof ScxStatsUnavailableError);
    assert.equal(refused.code, 'ECONNREFUSED');
    await assert.rejects(probeScxStats(free.path), ScxStatsUnavailableError);
  } finally {
    free.cleanup();
  }
});

test('a server that accepts but never answers stats_meta fails the probe within its timeout', async () => {
  const free = TestStatsServer.freePath();
  const sockets: import('node:net').Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(free.path, r));
  try {
    await assert.rejects(probeScxStats(free.path, 60), /no response to "stats_meta" .* within 60 ms/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    free.cleanup();
  }
});
