/**
 * The terminal while `top` runs: the alternate screen with the cursor hidden and the keyboard in raw mode,
 * and the way back. `leave()` is idempotent and synchronous (a TTY write on Linux is), so it can run from an
 * exception handler or at exit and the shell gets its screen, cursor and line discipline back.
 */
import type { ReadStream, WriteStream } from 'node:tty';

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';

export class Screen {
  private readonly out: WriteStream;
  private readonly input: ReadStream | undefined;
  private active = false;

  /** `input` is undefined when stdin is not a terminal: no keys then, Ctrl-C still arrives as SIGINT. */
  constructor(out: WriteStream, input: ReadStream | undefined) {
    this.out = out;
    this.input = input;
  }

  get width(): number {
    return this.out.columns;
  }

  get height(): number {
    return this.out.rows;
  }

  enter(): void {
    if (this.active) return;
    this.active = true;
    this.out.write(ENTER);
    if (this.input !== undefined) {
      this.input.setRawMode(true);
      this.input.setEncoding('utf8');
      this.input.resume();
    }
  }

  /** Draws whole lines from the top-left corner, clearing what was there after each and below the last. */
  draw(lines: readonly string[], widths: readonly number[]): void {
    if (!this.active) return;
    let s = '\x1b[H';
    for (let i = 0; i < lines.length; i++) {
      s += lines[i];
      // Erase-in-line right after a full-width line would erase its last column (the cursor waits there).
      if ((widths[i] ?? 0) < this.width) s += '\x1b[K';
      if (i < lines.length - 1) s += '\r\n';
    }
    if (lines.length < this.height) s += '\r\n\x1b[J';
    this.out.write(s);
  }

  leave(): void {
    if (!this.active) return;
    this.active = false;
    if (this.input !== undefined) {
      try {
        this.input.setRawMode(false);
      } catch {
        // stdin already closed: its mode went with it.
      }
      this.input.pause();
    }
    this.out.write(LEAVE);
  }
}
