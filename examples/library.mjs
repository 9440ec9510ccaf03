// scx-metrics as a library: declare your own stats once, update handles, publish them to Prometheus and the
// terminal. Run: node examples/library.mjs   (PORT=9100 by default; PORT=0 picks a free port)
import { Agent, PrometheusSink, Registry, TerminalSink, counter, defineStats, gauge } from 'scx-metrics';

export const myStats = defineStats({
  name: 'myapp',
  help: 'A made-up dispatcher publishing its own stats',
  prefix: 'myapp',
  stats: {
    dispatched: counter({ help: 'Tasks dispatched, by path', labels: { path: ['local', 'global'] } }),
    queue_depth: gauge({ help: 'Tasks queued now' }),
  },
});

const registry = new Registry();
const fam = registry.register(myStats);
const local = fam.dispatched.with({ path: 'local' }); // resolve once (in TypeScript, 'locl' is a compile error)
const global = fam.dispatched.with({ path: 'global' });
const depth = fam.queue_depth.with();

// The application's own work: here, a timer that dispatches a few tasks.
const work = setInterval(() => {
  local.inc(3); // then update: a field add, no allocation, no label hashing
  global.inc(1);
  depth.set(Math.floor(Math.random() * 10));
}, 100);

const prometheus = new PrometheusSink({ host: '127.0.0.1', port: Number(process.env.PORT ?? 9100) });
const agent = new Agent({
  registry,
  intervalSeconds: Number(process.env.INTERVAL ?? 2),
  sources: [], // this program updates its handles itself
  sinks: [new TerminalSink({ format: 'text', out: process.stdout }), prometheus],
});
await agent.start();
agent.run();
console.error(`serving http://127.0.0.1:${prometheus.address().port}/metrics`);

process.once('SIGINT', () => {
  clearInterval(work);
  void agent.stop();
});
