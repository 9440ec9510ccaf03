/**
 * A real pseudo-terminal for full-screen tests: a tmux server of its own (its own socket, no user config)
 * running a shell, driven with send-keys and read with capture-pane. Needs the Debian `tmux` package.
 */
import { spawnSync } from 'node:child_process';
import { hasCommand } from './peers.js';

let serial = 0;

export function hasTmux(): boolean {
  return hasCommand('tmux', ['-V']);
}

export class Tmux {
  readonly socket = `scx-top-test-${process.pid}-${serial++}`;

  /** Runs a tmux command against this server; throws with its stderr when it fails. */
  cmd(args: readonly string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr.trim() || `status ${r.status}`}`);
    return r.stdout;
  }

  /** Starts a session running a plain bash with prompt `PROMPT$ ` in a `width`×`height` window. */
  start(width: number, height: number): void {
    this.cmd(['new-session', '-d', '-s', 't', '-x', String(width), '-y', String(height), 'env', 'PS1=PROMPT$ ', 'bash', '--norc', '--noprofile']);
  }

  /** Types a line into the shell and presses Enter. */
  type(line: string): void {
    this.cmd(['send-keys', '-t', 't', '-l', line]);
    this.cmd(['send-keys', '-t', 't', 'Enter']);
  }

  /** Sends tmux key names (`q`, `j`, `Enter`, `C-c`, `Down`). */
  keys(...names: string[]): void {
    this.cmd(['send-keys', '-t', 't', ...names]);
  }

  /** The visible screen as text; with `escapes`, with colours and attributes as ANSI sequences. */
  capture(escapes = false): string {
    return this.cmd(['capture-pane', '-p', '-t', 't', ...(escapes ? ['-e'] : [])]);
  }

  /** A tmux format for the pane, e.g. `#{alternate_on}`. */
  display(format: string): string {
    return this.cmd(['display-message', '-p', '-t', 't', format]).trim();
  }

  resize(width: number, height: number): void {
    this.cmd(['resize-window', '-t', 't', '-x', String(width), '-y', String(height)]);
  }

  /** Polls the screen until `pred` holds; rejects with the last screen after `ms`. */
  async waitFor(pred: (screen: string) => boolean, ms: number, what: string): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.capture();
      if (pred(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}
