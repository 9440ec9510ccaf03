/**
 * The harness's steps: each runs its commands with their output in a log file of its own, and a failure is one
 * line naming the step and where its log is (the issue's "one line naming the step and where its log is").
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A step that failed: `message` is the one line to print. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    readonly log: string,
    why: string,
  ) {
    super(`kernel harness: ${step} failed (${why}); log: ${log}`);
    this.name = 'StepError';
  }
}

/** A named step writing to its own log file. */
export class Step {
  constructor(
    readonly name: string,
    readonly log: string,
  ) {
    try {
      mkdirSync(dirname(log), { recursive: true });
      writeFileSync(log, `# ${name} — ${new Date().toISOString()}\n`);
    } catch (err) {
      throw new StepError(name, log, `cannot write its log: ${(err as Error).message}`);
    }
  }

  /** Runs the step's body: any error it throws (a file it cannot write, ...) becomes this step's one line. */
  async guard<T>(body: () => T | Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (err instanceof StepError) throw err;
      throw this.error((err as Error).message);
    }
  }

  note(line: string): void {
    appendFileSync(this.log, `${line}\n`);
  }

  /** The step's failure, noted in its log. */
  error(why: string): StepError {
    this.note(`FAILED: ${why}`);
    return new StepError(this.name, this.log, why);
  }

  fail(why: string): never {
    throw this.error(why);
  }

  /**
   * Runs a command with stdout and stderr appended to the log; resolves with stdout, or fails the step with
   * the command and its exit status.
   */
  async run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
    this.note(`$ ${[cmd, ...args].join(' ')}${opts.cwd === undefined ? '' : `   (in ${opts.cwd})`}`);
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        appendFileSync(this.log, d);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => appendFileSync(this.log, d));
      child.stdin.end(opts.input ?? '');
      child.on('error', (err) => reject(this.error(`${cmd} could not start: ${err.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) resolve(out);
        else reject(this.error(`${cmd} ${signal === null ? `exited with ${code}` : `was killed by ${signal}`}`));
      });
    });
  }
}
