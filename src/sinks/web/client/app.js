// The page: follows the agent's event stream (/api/events, described in src/sinks/web/protocol.ts), keeps
// a bounded window (store.js) and draws one panel per family (panels.js). It reconnects by itself and says
// when the agent restarted. Everything the agent sends is set as text, never as HTML.
import { Panel } from './panels.js';
import { Store } from './store.js';

const PROTOCOL = 1;
const $ = (id) => document.getElementById(id);

const state = {
  store: new Store(300),
  panels: new Map(),
  agentId: null,
  intervalSeconds: 0,
  lastFrameAt: 0,
  connected: false,
  /** What the connection line says; tests read it. */
  conn: 'connecting',
  restarts: 0,
  frames: 0,
  scheduled: false,
};
// For tests and for poking around in the console.
window.scxView = state;

function setConn(kind, text) {
  state.conn = kind;
  const c = $('conn');
  c.textContent = text;
  c.className = `conn ${kind === 'live' ? 'live' : kind === 'connecting' ? '' : 'down'}`;
}

function notice(text) {
  const n = $('notice');
  n.hidden = text === '';
  n.textContent = text;
}

const clock = (ms) => new Date(ms).toLocaleTimeString();

function onHello(h) {
  if (h.protocol !== PROTOCOL) {
    notice(`this page speaks protocol ${PROTOCOL}, the agent ${h.protocol}: reload the page`);
    return;
  }
  if (state.agentId !== null && state.agentId !== h.agent.id) {
    // Another agent process: its series and rates start afresh, so nothing of the old window carries over.
    state.restarts++;
    state.store.clear();
    for (const p of state.panels.values()) p.destroy();
    state.panels.clear();
    notice(`The agent restarted (started ${clock(h.agent.startedMs)}); the charts start again from then.`);
  } else if (state.agentId !== null) {
    notice(`Reconnected at ${clock(Date.now())}.`);
  }
  state.store.window = Math.max(2, h.window);
  state.agentId = h.agent.id;
  state.intervalSeconds = h.intervalSeconds;
  $('agent').textContent = `agent ${h.agent.version}, up since ${clock(h.agent.startedMs)}`;
  const m = $('metrics');
  if (h.metricsPath !== null) {
    m.href = h.metricsPath.replace(/^\//, '');
    m.textContent = h.metricsPath;
    m.hidden = false;
  } else m.hidden = true;
  setConn('live', 'live');
}

function onStatus(s) {
  $('scheduler').textContent = s.scheduler === null ? 'no sched_ext scheduler' : s.scheduler.ops === '' ? s.scheduler.name : `${s.scheduler.name} (${s.scheduler.ops})`;
  const chips = s.sources.map((src) => {
    const c = document.createElement('span');
    c.className = `source ${src.up ? 'up' : 'down'}`;
    c.textContent = `${src.name} ${src.up ? 'up' : 'down'} since ${clock(src.sinceMs)}`;
    return c;
  });
  $('sources').replaceChildren(...chips);
}

function onFrame(f) {
  if (state.store.addFrame(f)) {
    state.frames++;
    state.lastFrameAt = Date.now();
    if (state.conn === 'stale') setConn('live', 'live');
    schedule();
  }
}

/** Draws at most once per animation frame, so a backlog of frames on connection is one redraw. */
function schedule() {
  if (state.scheduled) return;
  state.scheduled = true;
  requestAnimationFrame(() => {
    state.scheduled = false;
    render();
  });
}

// Panels off screen skip their redraws until they scroll into view.
const observer = new IntersectionObserver((entries) => {
  for (const e of entries) state.panels.get(e.target.dataset.family)?.setVisible(e.isIntersecting);
});

function render() {
  const { store, panels } = state;
  const main = $('panels');
  for (const [name, p] of panels) {
    if (!store.families.has(name)) {
      observer.unobserve(p.root);
      p.destroy();
      panels.delete(name);
    }
  }
  let added = false;
  for (const [name, fam] of store.families) {
    let p = panels.get(name);
    if (p === undefined) {
      p = new Panel(fam, main);
      panels.set(name, p);
      observer.observe(p.root);
      added = true;
    }
    p.update(fam, store.times);
  }
  // The scheduler's and the host's stats first, the agent's own health (scx_metrics_*) last.
  if (added) {
    const rank = (name) => (name.startsWith('scx_metrics_') ? 1 : 0);
    const order = [...panels.values()].sort((a, b) => rank(a.name) - rank(b.name));
    main.replaceChildren(...order.map((p) => p.root));
  }
}

let source = null;
function connect() {
  source = new EventSource('api/events');
  const on = (name, f) => source.addEventListener(name, (e) => f(JSON.parse(e.data)));
  on('hello', onHello);
  on('schema', (s) => state.store.addSchema(s));
  on('status', onStatus);
  on('frame', onFrame);
  source.onerror = () => {
    if (state.conn !== 'down') setConn('down', `agent unreachable since ${clock(Date.now())}; reconnecting…`);
    // EventSource retries by itself unless the agent answered with something other than a stream.
    if (source.readyState === EventSource.CLOSED) {
      source = null;
      setTimeout(connect, 2000);
    }
  };
}

// A connection that stays open while no frame comes (a stalled agent) is said too.
setInterval(() => {
  if (state.conn !== 'live' || state.intervalSeconds === 0 || state.lastFrameAt === 0) return;
  const quiet = (Date.now() - state.lastFrameAt) / 1000;
  if (quiet > 3 * state.intervalSeconds + 1) setConn('stale', `no data for ${Math.round(quiet)} s`);
}, 1000);

window.addEventListener('resize', () => {
  for (const p of state.panels.values()) p.resize();
});

connect();
