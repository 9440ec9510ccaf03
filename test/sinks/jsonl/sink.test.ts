/** JSON lines: the exact record, the file it is appended to, and a disk that is full. */
import { test, type TestContext } from 'node:test';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import { JsonlSink } from '../../../src/sinks/jsonl/sink.js';
import { goldenRegistry } from '../../helpers/push-fixture.js';
import { exited, waitFor } from '../../helpers/cli.js';
import type { JsonlChildReport } from '../../helpers/jsonl-stdout-child.js';
import { needPeer } from '../../helpers/peers.js';

const SECOND =
  '{"schema":1,"time":"2023-11-14T22:13:22.000Z","interval":2,"final":true,"metrics":[' +
  '{"name":"scx_dispatched_total","kind":"counter","labels":{"path":"local dsq","node":"0"},"value":15,"delta":5},' +
  '{"name":"scx_dispatched_total","kind":"counter","labels":{"path":"a:b|c,d#e@f/g.h","node":""},"value":3,"delta":1},' +
  '{"name":"scx_dispatched_total","kind":"counter","labels":{"path":"new","node":"1"},"value":3,"delta":3},' +
  '{"name":"scx_queued","kind":"gauge","labels":{},"value":7},' +
  '{"name":"scx_lag_seconds","kind":"gauge","labels":{"layer":"batch"},"value":-2.5},' +
  '{"name":"scx_lag_seconds","kind":"gauge","labels":{"layer":"x"},"value":null},' +
  '{"name":"scx_latency_seconds","kind":"histogram","labels":{},"count":5,"sum":59.5,"bounds":[1,10],"counts":[1,3,1]},' +
  '{"name":"scx_metrics_sink_dropped_total","kind":"counter","labels":{"sink":"jsonl"},"value":0,"delta":0}]}';

/** A started sink writing to out.jsonl in a fresh directory (removed after the test), on the golden registry. */
async function fileSink(t: TestContext): Promise<{ path: string; fx: ReturnType<typeof goldenRegistry>; sink: JsonlSink }> {
  const dir = mkdtempSync(join(tmpdir(), 'scx-jsonl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'out.jsonl');
  const fx = goldenRegistry();
  const sink = new JsonlSink({ path });
  await sink.start({ registry: fx.registry, log: memoryLogger() });
  return { path, fx, sink };
}

test('jsonl golden: one object per interval, appended to the file, counters with value and delta', async (t) => {
  const { path, fx, sink } = await fileSink(t);
  fx.first();
  sink.flush(fx.snapshot(1_700_000_000_000));
  fx.second();
  sink.flush(fx.snapshot(1_700_000_002_000, true));
  await sink.close(2000);
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '', 'every record ends in a newline');
  assert.equal(lines[1], SECOND);
  const first = JSON.parse(lines[0] as string) as { time: string; final: boolean; metrics: { name: string; value?: number; delta?: number }[] };
  assert.equal(first.time, '2023-11-14T22:13:20.000Z');
  assert.equal(first.final, false);
  assert.deepEqual(first.metrics.filter((m) => m.name === 'scx_dispatched_total').map((m) => [m.value, m.delta]), [[10, 0], [2, 0]], 'first record: baseline');

  // A second sink appends to the same file rather than truncating it.
  const again = new JsonlSink({ path });
  await again.start({ registry: fx.registry, log: memoryLogger() });
  again.flush(fx.snapshot());
  await again.close(2000);
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 4);
});

test('jsonl: a series that takes the id of a removed series has its own labels and a delta from zero', async (t) => {
  const { path, fx, sink } = await fileSink(t);
  for (const [i, step] of [() => fx.first(), () => fx.second(), () => fx.third()].entries()) {
    step();
    sink.flush(fx.snapshot(1_700_000_000_000 + 2000 * i));
  }
  await sink.close(2000);
  const third = (readFileSync(path, 'utf8').split('\n')[2] ?? '').replace(/^.*"metrics":\[/, '').replace(/\]\}$/, '');
  assert.equal(
    third,
    '{"name":"scx_dispatched_total","kind":"counter","labels":{"path":"a:b|c,d#e@f/g.h","node":""},"value":4,"delta":1},' +
      '{"name":"scx_dispatched_total","kind":"counter","labels":{"path":"new","node":"1"},"value":3,"delta":0},' +
      '{"name":"scx_dispatched_total","kind":"counter","labels":{"path":"remote","node":"2"},"value":4,"delta":4},' +
      '{"name":"scx_queued","kind":"gauge","labels":{},"value":7},' +
      '{"name":"scx_lag_seconds","kind":"gauge","labels":{"layer":"x"},"value":null},' +
      '{"name":"scx_lag_seconds","kind":"gauge","labels":{"layer":"interactive"},"value":1.5},' +
      '{"name":"scx_latency_seconds","kind":"histogram","labels":{},"count":1,"sum":0.5,"bounds":[1,10],"counts":[1,0,0]},' +
      '{"name":"scx_metrics_sink_dropped_total","kind":"counter","labels":{"sink":"jsonl"},"value":0,"delta":0}',
  );
});

test('jsonl: a file that cannot be opened stops the start with the path and the reason', async () => {
  const sink = new JsonlSink({ path: '/nonexistent-dir-scx/out.jsonl' });
  const fx = goldenRegistry();
  await assert.rejects(sink.start({ registry: fx.registry, log: memoryLogger() }), /cannot open \/nonexistent-dir-scx\/out\.jsonl for appending: ENOENT/);
});

test('jsonl: a full disk (/dev/full) drops records, counts their metrics, says so once, and keeps the agent going', async (t) => {
  if (!needPeer(t, existsSync('/dev/full'), '/dev/full (a device whose writes fail with ENOSPC)')) return;
  const fx = goldenRegistry();
  fx.first();
  const log = memoryLogger();
  const sink = new JsonlSink({ path: '/dev/full' });
  await sink.start({ registry: fx.registry, log });
  const dropped = fx.registry.family(healthStats.stats.sink_dropped).with({ sink: 'jsonl' });
  sink.flush(fx.snapshot());
  // The write fails on the thread pool; later intervals reopen the file and fail again.
  await waitFor(() => log.lines.some((l) => l.includes('cannot write to /dev/full')), 10_000, 'the write error');
  for (let i = 0; i < 3; i++) {
    sink.flush(fx.snapshot());
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(dropped.value > 0, 'records after the failure are counted as dropped');
  assert.equal(log.lines.filter((l) => l.includes('cannot write to /dev/full') && l.includes('ENOSPC')).length, 1, 'said once');
  assert.ok(log.lines.some((l) => /dropped \d+ metrics in the last interval/.test(l)));
  await sink.close(100);
});

const childScript = fileURLToPath(new URL('../../helpers/jsonl-stdout-child.js', import.meta.url));

interface Pipeline {
  /** The child's report, once it has printed it (it then exits). */
  readonly report: Promise<JsonlChildReport>;
  /** sh's exit status (the reader's) and what the reader saved, once both sides are done. */
  readonly done: Promise<{ code: number | null; out: string }>;
  /** Ends this test's pipe to sh's fd 3, on which a reader may wait. */
  release(): void;
}

/**
 * Runs the child sink with its stdout piped by sh (a real pipe) into `reader`, a shell command given the
 * path of a file as $1. fd 3 of the reader is this test's pipe to sh: a reader waiting on it returns when
 * `release()` ends that pipe, so nothing depends on time.
 */
function pipeline(t: TestContext, args: string, reader: string): Pipeline {
  const dir = mkdtempSync(join(tmpdir(), 'scx-jsonl-pipe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const script = `exec 3<&0; ${JSON.stringify(process.execPath)} ${JSON.stringify(childScript)} ${args} 3<&- | { ${reader}; }`;
  const sh = spawn('sh', ['-c', script, 'sh', out], { stdio: ['pipe', 'ignore', 'pipe'] });
  t.after(() => sh.stdin.destroy());
  const gone = exited(sh);
  let stderr = '';
  const report = new Promise<JsonlChildReport>((resolve, reject) => {
    sh.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const line = stderr.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'));
      if (line !== undefined) resolve(JSON.parse(line) as JsonlChildReport);
    });
    void gone.then(() => reject(new Error(`sh exited before the child reported: ${stderr}`)));
  });
  const done = gone.then(({ code }) => ({ code, out: existsSync(out) ? readFileSync(out, 'latin1') : '' }));
  return { report, done, release: () => sh.stdin.end() };
}

test('jsonl -: a pipe whose reader stops reading: nothing blocks, records past the byte cap are dropped and counted, close() returns', async (t) => {
  // The reader takes the first 64 bytes, then waits on fd 3 without reading the pipe again.
  const p = pipeline(t, '3000 16384', 'head -c 64 > "$1"; read x <&3 || :');
  // The child reports on its own: every flush returned and close() gave up on the stalled pipe.
  const report = await p.report;
  p.release();
  const { code, out } = await p.done;
  assert.equal(code, 0);
  assert.match(out, /^\{"schema":1,"time":"/, 'the reader got the start of a record');
  assert.equal(report.flushes, 3000);
  assert.ok(report.dropped > 0, 'records past the cap are counted as dropped');
  assert.ok(report.log.some((l) => /bytes still waiting to be written to standard output, more than 16384/.test(l)), report.log.join('\n'));
  assert.ok(!report.log.some((l) => l.includes('cannot write')), report.log.join('\n'));
});

test('jsonl -: a reader that exits (EPIPE): said once, nothing more is written, the metrics are counted, no crash', async (t) => {
  const p = pipeline(t, '100000 1048576', 'head -c 64 > "$1"');
  const report = await p.report;
  const { code, out } = await p.done;
  assert.equal(code, 0);
  assert.match(out, /^\{"schema":1,"time":"/);
  assert.ok(report.flushes < 100000, 'the child saw the pipe go and stopped early');
  assert.equal(report.flushesAfterGone, 5);
  const said = report.log.filter((l) => l.includes('cannot write to standard output'));
  assert.deepEqual(said, ['scx-metrics: warning: sink jsonl: cannot write to standard output: EPIPE (its reader went away); no more records are written to it']);
  // The golden registry has 8 metrics per record after first(): at least the 5 flushes after EPIPE count.
  assert.ok(report.dropped >= 5 * 8, `dropped ${report.dropped}`);
  assert.ok(!report.log.some((l) => l.includes('not writable')), report.log.join('\n'));
});
