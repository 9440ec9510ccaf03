/**
 * A slowloris flood in its own process (so the scraping test process stays a light, new client): argv[2] the
 * port, argv[3] the number of connections. Each sends a request line, then one header line a second, never
 * the blank line that ends the head, and reconnects as soon as it is closed. Prints `{"open":N}` once as many
 * connections as asked for have been made (N of them still open), and on SIGTERM `{"closes":N,"answered408":M}`: closes without an answer (evictions) and closes
 * after the header timeout's 408.
 */
import { connect, type Socket } from 'node:net';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const live = new Set<Socket>();
const stats = { closes: 0, answered408: 0 };
let stopped = false;
let connected = 0;

function open(): void {
  if (stopped) return;
  let answered = '';
  const s = connect(port, '127.0.0.1', () => {
    live.add(s);
    s.write('GET /metrics HTTP/1.1\r\nHost: flood\r\n');
    // Each of the first `count` connections has reached the server once (some may be closed again by now).
    if (++connected === count) process.stdout.write(`${JSON.stringify({ open: live.size })}\n`);
  });
  s.setEncoding('utf8').on('data', (d: string) => (answered += d));
  s.on('error', () => undefined);
  s.once('close', () => {
    live.delete(s);
    if (answered.startsWith('HTTP/1.1 408')) stats.answered408++;
    else stats.closes++;
    setImmediate(open);
  });
}

for (let i = 0; i < count; i++) open();
let n = 0;
const drip = setInterval(() => {
  n++;
  for (const s of live) if (s.writable) s.write(`X-Drip-${n}: y\r\n`);
}, 1000);
process.once('SIGTERM', () => {
  stopped = true;
  clearInterval(drip);
  for (const s of live) s.destroy();
  process.stdout.write(`${JSON.stringify(stats)}\n`, () => process.exit(0));
});
