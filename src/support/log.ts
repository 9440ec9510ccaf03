/**
 * The agent's diagnostics: one line per event on stderr, kept apart from report output on stdout. `once`
 * says a recurring condition a single time until it clears, so a dead peer or a missing file does not flood.
 */

/** Where sources, sinks and the agent write diagnostics. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** Logs `msg` as a warning the first time `key` is raised; again only after `clear(key)`. */
  once(key: string, msg: string): void;
  /** Marks the condition behind `key` as over; logs `msg` if it had been raised. */
  clear(key: string, msg?: string): void;
}

let stderrGone = false;
let stderrWatched = false;

/**
 * Writes to stderr until its reader goes away (`run 2>&1 | head`, a broken journald stream): then diagnostics
 * stop instead of an unhandled EPIPE ending the agent, whose outputs may still be working.
 */
function writeStderr(line: string): void {
  if (!stderrWatched) {
    stderrWatched = true;
    process.stderr.on('error', () => {
      stderrGone = true;
    });
  }
  if (!stderrGone) process.stderr.write(line);
}

/** A logger writing `scx-metrics: <level>: <msg>` lines to a stream (stderr by default). */
export function createLogger(
  write: (line: string) => void = writeStderr,
  opts: { quiet?: boolean } = {},
): Logger {
  const raised = new Set<string>();
  const out = (level: string, msg: string): void => write(`scx-metrics: ${level}: ${msg}\n`);
  return {
    info: (msg) => {
      if (opts.quiet !== true) out('info', msg);
    },
    warn: (msg) => out('warning', msg),
    error: (msg) => out('error', msg),
    once: (key, msg) => {
      if (raised.has(key)) return;
      raised.add(key);
      out('warning', msg);
    },
    clear: (key, msg) => {
      if (raised.delete(key) && msg !== undefined) out('info', msg);
    },
  };
}

/** A logger that records lines in memory, for tests and for library users who route diagnostics themselves. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger((l) => lines.push(l.trimEnd())), { lines });
}

/** The message of an unknown thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
