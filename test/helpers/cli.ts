/** Runs the built CLI as a child process, as a user would. */
import { spawn, spawnSync, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export function runCli(args: readonly string[], opts: { timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function startCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): ChildProcessWithoutNullStreams & { output(): { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [cliPath, ...args], opts.env === undefined ? {} : { env: opts.env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return Object.assign(child, { output: () => ({ stdout, stderr }) });
}

/** Resolves when `pred(output)` holds, polling; rejects after `ms`. */
export async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function exited(child: { once(ev: 'exit', f: (code: number | null, sig: string | null) => void): unknown }): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * `exited(child)`, with a hang guard: after `ms` the child is killed and this rejects naming `what`. The
 * guard is generous; it keeps a broken build from hanging the suite, it does not measure speed.
 */
export async function exitedWithin(child: ChildProcess, ms: number, what: string): Promise<{ code: number | null; signal: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: still running after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([exited(child), guard]);
  } finally {
    clearTimeout(timer);
  }
}
