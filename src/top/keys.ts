/** Keyboard input in raw mode: bytes to the few commands `top` has. */

export type KeyCommand = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'toggle' | 'expand' | 'collapse' | 'quit';

/** Escape sequences (xterm and VT100 cursor-key modes) and the keys they stand for. */
const SEQUENCES: readonly (readonly [string, KeyCommand])[] = [
  ['\x1b[A', 'up'],
  ['\x1bOA', 'up'],
  ['\x1b[B', 'down'],
  ['\x1bOB', 'down'],
  ['\x1b[C', 'expand'],
  ['\x1bOC', 'expand'],
  ['\x1b[D', 'collapse'],
  ['\x1bOD', 'collapse'],
  ['\x1b[5~', 'pageUp'],
  ['\x1b[6~', 'pageDown'],
  ['\x1b[H', 'home'],
  ['\x1bOH', 'home'],
  ['\x1b[1~', 'home'],
  ['\x1b[F', 'end'],
  ['\x1bOF', 'end'],
  ['\x1b[4~', 'end'],
];

const SINGLE: Readonly<Record<string, KeyCommand>> = {
  k: 'up',
  j: 'down',
  l: 'expand',
  h: 'collapse',
  g: 'home',
  G: 'end',
  '\r': 'toggle',
  '\n': 'toggle',
  ' ': 'toggle',
  q: 'quit',
  Q: 'quit',
  // Ctrl-C: raw mode delivers it as a byte instead of SIGINT.
  '\x03': 'quit',
};

/** The commands in one chunk of input (several keys may arrive together); unknown keys are ignored. */
export function parseKeys(chunk: string): KeyCommand[] {
  const out: KeyCommand[] = [];
  let i = 0;
  while (i < chunk.length) {
    if (chunk[i] === '\x1b') {
      const seq = SEQUENCES.find(([s]) => chunk.startsWith(s, i));
      if (seq !== undefined) {
        out.push(seq[1]);
        i += seq[0].length;
        continue;
      }
      // An unknown sequence: skip ESC and its CSI/SS3 introducer and parameters up to the final byte.
      // eslint-disable-next-line no-control-regex
      const m = /^\x1b(?:\[[0-9;?]*[@-~]|O.)?/.exec(chunk.slice(i));
      i += m === null ? 1 : m[0].length;
      continue;
    }
    const cmd = SINGLE[chunk[i] as string];
    if (cmd !== undefined) out.push(cmd);
    i++;
  }
  return out;
}
