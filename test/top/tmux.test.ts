/**
 * `scx-metrics top` in a real pseudo-terminal (tmux): it draws the stats with numbers and sparklines,
 * refreshes, expands a labelled stat, follows a resize, quits on q and on Ctrl-C with status 0, and gives the
 * terminal back (alternate screen left, cursor shown, the line discipline cooked again, the shell's earlier
 * output back) — also after an uncaught exception. `--from` watches a real agent's /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliPath, exitedWithin, runCli, startCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/http-peer.js';
import { needPeer } from '../helpers/peers.js';
import { Tmux, hasTmux } from '../helpers/tmux.js';

const node = process.execPath;
const throwsPath = fileURLToPath(new URL('../helpers/top-throws.js', import.meta.url));
/** Where the test leaves a capture of the screen (the README shows it). */
export const capturePath = fileURLToPath(new URL('./top-capture.txt', import.meta.url));

const BLOCK = /[▁▂▃▄▅▆▇█]/g;
const line = (screen: string, re: RegExp): string => screen.split('\n').find((l) => re.test(l)) ?? '';
const blocks = (l: string): number => (l.match(BLOCK) ?? []).length;

/** Checks what the shell has after top exited: its own screen, a visible cursor, and cooked mode with echo. */
async function assertRestored(tm: Tmux, marker: string): Promise<void> {
  assert.equal(tm.display('#{alternate_on}'), '0', 'alternate screen left');
  assert.equal(tm.display('#{cursor_flag}'), '1', 'cursor shown');
  const screen = tm.capture();
  assert.match(screen, new RegExp(marker), 'the output from before top is back');
  tm.type("stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon\\|-\\?echo\\|-\\?isig' | tr '\\n' , ; echo");
  await tm.waitFor((s) => /^(-?\w+,){3}$/m.test(s), 10_000, 'stty output');
  assert.match(tm.capture(), /^isig,icanon,echo,$/m, 'raw mode off: canonical input, echo and signals back');
}

function session(t: { after(f: () => void): void }, width: number, height: number): Tmux {
  const tm = new Tmux();
  t.after(() => tm.kill());
  tm.start(width, height);
  tm.type('echo BEFORE-TOP-MARKER');
  return tm;
}

test('top draws, refreshes, expands, follows a resize, quits on q with 0 and restores the terminal', async (t) => {
  if (!needPeer(t, hasTmux(), 'tmux is not installed (Debian package tmux)')) return;
  const tm = session(t, 120, 40);
  tm.type(`${node} ${cliPath} top -i 0.3 --no-probe; echo TOP-EXIT=$?`);
  const first = await tm.waitFor((s) => /scx_host_context_switches +[\d.]+[kMG]?\/s/.test(s), 20_000, 'a drawn rate');
  assert.equal(tm.display('#{alternate_on}'), '1', 'on the alternate screen');
  assert.equal(tm.display('#{cursor_flag}'), '0', 'cursor hidden');
  assert.match(first, /^scx-metrics top · sources: proc:stat/m);
  assert.match(first, /^ {2}STAT +NOW +HISTORY/m);
  assert.match(first, /^q quit/m);
  assert.match(line(first, /scx_host_runnable_tasks/), /scx_host_runnable_tasks +\d+ /);

  // Refreshes: the collections line gains a sparkline point per read (0.3 s), and its history differs.
  const a = line(first, /scx_metrics_collections /);
  await new Promise((r) => setTimeout(r, 1500));
  const second = tm.capture();
  const b = line(second, /scx_metrics_collections /);
  assert.ok(blocks(b) > blocks(a), `sparkline grew:\n${a}\n${b}`);
  assert.notEqual(line(second, /scx_host_context_switches/), line(first, /scx_host_context_switches/));

  // j j Enter: the third stat (scx_metrics_source_up, labelled by source) opens with a line per source.
  tm.keys('j', 'j', 'Enter');
  const open = await tm.waitFor((s) => /^ {4}source=proc:stat +\d/m.test(s), 10_000, 'the expanded series');
  assert.match(open, /^▾ scx_metrics_source_up \(\d+\) +\d+ /m);
  const colours = tm.capture(true);
  assert.match(colours, /\x1b\[7m▾ scx_metrics_source_up/, 'the selected line in inverse video'); // eslint-disable-line no-control-regex
  writeFileSync(capturePath, open);

  // A smaller window: the footer moves to the new last row and the title is cut to the new width.
  tm.resize(70, 16);
  const small = await tm.waitFor((s) => /^q quit/m.test(s.split('\n')[15] ?? ''), 10_000, 'the footer on row 16');
  const rows = small.split('\n');
  assert.match(rows[0] ?? '', /^scx-metrics top · .*…$/);
  assert.ok((rows[0] ?? '').length <= 70);
  // The long name was whole at 120 columns; at 70 the name column is narrower and cuts it.
  assert.match(second, /^ {2}scx_metrics_collection_duration_seconds +[\d.]/m);
  assert.match(small, /^ {2}scx_metrics_collection_\S*… +[\d.]+/m);
  tm.resize(100, 30);
  await tm.waitFor((s) => /^q quit/m.test(s.split('\n')[29] ?? ''), 10_000, 'the footer on row 30');

  tm.keys('q');
  await tm.waitFor((s) => /TOP-EXIT=\d+/.test(s), 20_000, 'top to exit');
  assert.match(tm.capture(), /TOP-EXIT=0/);
  await assertRestored(tm, 'BEFORE-TOP-MARKER');
});

for (const how of ['Ctrl-C', 'SIGTERM'] as const) {
  test(`top quits on ${how} with status 0 and restores the terminal`, async (t) => {
    if (!needPeer(t, hasTmux(), 'tmux is not installed (Debian package tmux)')) return;
    const tm = session(t, 100, 30);
    tm.type(`${node} ${cliPath} top -i 0.5 --no-probe; echo TOP-EXIT=$?`);
    await tm.waitFor((s) => /scx_host_context_switches +[\d.]+[kMG]?\/s/.test(s), 20_000, 'a drawn rate');
    if (how === 'Ctrl-C') tm.keys('C-c');
    else {
      // The shell's child is top's node process.
      const shell = tm.display('#{pane_pid}');
      const pid = Number(execFileSync('pgrep', ['-P', shell], { encoding: 'utf8' }).trim());
      assert.ok(pid > 0);
      process.kill(pid, 'SIGTERM');
    }
    await tm.waitFor((s) => /TOP-EXIT=\d+/.test(s), 20_000, 'top to exit');
    assert.match(tm.capture(), /TOP-EXIT=0/);
    await assertRestored(tm, 'BEFORE-TOP-MARKER');
  });
}

test('an uncaught exception while top has the screen: the terminal is given back and the error said, exit 1', async (t) => {
  if (!needPeer(t, hasTmux(), 'tmux is not installed (Debian package tmux)')) return;
  const tm = session(t, 100, 30);
  tm.type(`${node} ${throwsPath}; echo TOP-EXIT=$?`);
  await tm.waitFor((s) => /before_the_throw +42/.test(s), 20_000, 'the first frame');
  assert.equal(tm.display('#{alternate_on}'), '1');
  await tm.waitFor((s) => /TOP-EXIT=\d+/.test(s), 20_000, 'the exit after the throw');
  const screen = tm.capture();
  assert.match(screen, /TOP-EXIT=1/);
  assert.match(screen, /scx-metrics: error: Error: boom from the feed/);
  await assertRestored(tm, 'BEFORE-TOP-MARKER');
});

test('top --from URL watches a running agent, says when it cannot read, and quits', async (t) => {
  if (!needPeer(t, hasTmux(), 'tmux is not installed (Debian package tmux)')) return;
  const port = await freePort();
  const agent = startCli(['run', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`, '--report', 'none', '-i', '0.3', '--no-probe']);
  t.after(() => agent.kill('SIGKILL'));
  await waitFor(() => agent.output().stderr.includes('serving'), 20_000, 'the agent to serve /metrics');
  const tm = session(t, 120, 40);
  tm.type(`${node} ${cliPath} top -i 0.3 --from http://127.0.0.1:${port}; echo TOP-EXIT=$?`);
  const s = await tm.waitFor((x) => /scx_host_context_switches +[\d.]+[kMG]?\/s/.test(x), 20_000, 'a rate read from /metrics');
  assert.match(s, new RegExp(`^scx-metrics top · from http://127\\.0\\.0\\.1:${port}/metrics`, 'm'));
  // Counters are shown by family name (no _total), gauges by value, as from the agent in-process.
  assert.match(s, /^▸ scx_metrics_source_up \(\d+\) +\d+ /m);
  assert.match(s, /^ {2}scx_metrics_collections +[\d.]+\/s/m);
  agent.kill('SIGTERM');
  await exitedWithin(agent, 20_000, 'the agent after SIGTERM');
  const down = await tm.waitFor((x) => /cannot read http:\/\/127\.0\.0\.1/.test(x), 20_000, 'the read failure in the footer');
  assert.match(down, /scx_host_context_switches/, 'the last stats stay on screen');
  tm.keys('q');
  await tm.waitFor((x) => /TOP-EXIT=\d+/.test(x), 20_000, 'top to exit');
  assert.match(tm.capture(), /TOP-EXIT=0/);
  await assertRestored(tm, 'BEFORE-TOP-MARKER');
});

test('top on a pipe says to use run, one line, exit 2', () => {
  const r = runCli(['top']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'scx-metrics: top needs a terminal and stdout is not one; use `scx-metrics run` for a report on a pipe or file\n');
  assert.equal(r.stdout, '');
});

test('top --from takes http(s) URLs only and no source flags: one line each, exit 2', () => {
  const cases: [string[], string][] = [
    [['--from', 'ftp://x'], '--from: "ftp://x" is not an http or https URL (expected http://HOST:PORT/metrics)'],
    [['--from', 'localhost 9000'], '--from: "localhost 9000" is not a URL (expected http://HOST:PORT/metrics)'],
    [['--from', 'http://127.0.0.1:9000', '--no-host'], '--no-host has no effect with --from (the agent at the URL reads its own sources)'],
    [['-i', '0'], '--interval: "0" is not a number > 0'],
  ];
  for (const [args, msg] of cases) {
    const r = runCli(['top', ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, `scx-metrics: ${msg}\n`);
  }
});
