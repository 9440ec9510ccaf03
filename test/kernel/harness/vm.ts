/**
 * Boots the sched_ext kernel under QEMU and runs one shell script in it. Emulated (TCG, single-threaded): nested
 * KVM does not work on these machines and multi-threaded TCG panicked in early boot (real-kernel.md). The
 * host's `/` is the guest's read-only lower root; a writable 9p share carries the script in and its exit
 * status (and any files the script writes) out. The console streams to the caller as it comes.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { join } from 'node:path';
import { kernelFile, type KernelDirs } from './cache.js';
import { StepError } from './step.js';

export interface BootOptions {
  readonly dirs: KernelDirs;
  readonly initramfs: string;
  /** The shell script the guest runs as root (from the host's root, chrooted, with the share at GUEST_SHARE). */
  readonly script: string;
  /** Files to put in the share beside run.sh. */
  readonly files?: Readonly<Record<string, string>>;
  /** The whole run is killed after this long. */
  readonly deadlineMs: number;
  /** The guest must print its "up" line within this long. */
  readonly bootMs?: number;
  /** Each chunk of console output, as it arrives. */
  readonly onOutput?: (chunk: string) => void;
  readonly memoryMb?: number;
  readonly cpus?: number;
}

export interface BootResult {
  /** The script's exit status. */
  readonly status: number;
  /** The share folder: run.sh, rc, and whatever the script left there. */
  readonly share: string;
  readonly consoleLog: string;
}

export async function bootAndRun(opts: BootOptions): Promise<BootResult> {
  const share = mkdtempSync(join(tmpdir(), 'scx-guest-'));
  writeFileSync(join(share, 'run.sh'), opts.script);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(share, name), text);
  const consoleLog = join(share, 'console.log');
  const log = createWriteStream(consoleLog);
  const args = [
    '-accel', 'tcg,thread=single', '-cpu', 'max', '-smp', String(opts.cpus ?? 2), '-m', `${opts.memoryMb ?? 3072}M`,
    '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
    '-kernel', kernelFile(opts.dirs, 'vmlinuz'), '-initrd', opts.initramfs,
    '-append', 'console=ttyS0 quiet panic=-1 rdinit=/init',
    '-fsdev', 'local,id=root,path=/,security_model=none,readonly=on,multidevs=remap',
    '-device', 'virtio-9p-pci,fsdev=root,mount_tag=host',
    '-fsdev', `local,id=share,path=${share},security_model=none,multidevs=remap`,
    '-device', 'virtio-9p-pci,fsdev=share,mount_tag=share',
  ];
  const fail = (why: string): StepError => new StepError('boot the guest', consoleLog, why);
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let up = false;
  let seen = '';
  const outcome = new Promise<number | null>((resolve, reject) => {
    qemu.on('error', (err) => reject(fail(`qemu-system-x86_64 could not start: ${err.message}`)));
    qemu.on('close', (code) => resolve(code));
  });
  // One decoder per stream: a UTF-8 character split across two chunks must not become two bad ones.
  const onData = (decoder: StringDecoder) => (d: Buffer): void => {
    const text = decoder.write(d).replace(/\r\n/g, '\n');
    log.write(text);
    if (!up) {
      seen = (seen + text).slice(-4096);
      if (seen.includes('scx-guest: up')) up = true;
    }
    opts.onOutput?.(text);
  };
  qemu.stdout.on('data', onData(new StringDecoder('utf8')));
  qemu.stderr.on('data', onData(new StringDecoder('utf8')));
  let killedFor: string | undefined;
  const kill = (why: string): void => {
    if (killedFor !== undefined || qemu.exitCode !== null) return;
    killedFor = why;
    qemu.kill('SIGKILL');
  };
  const bootMs = opts.bootMs ?? 180_000;
  const bootTimer = setTimeout(() => {
    if (!up) kill(`no "scx-guest: up" line within ${bootMs / 1000} s`);
  }, bootMs);
  const deadline = setTimeout(() => kill(`still running after ${Math.round(opts.deadlineMs / 1000)} s (deadline)`), opts.deadlineMs);
  // A harness stopped from outside (a cancelled CI job, Ctrl-C) takes its guest with it: an orphaned TCG guest
  // would keep a core busy.
  const onExit = (): void => void qemu.kill('SIGKILL');
  const onSignal = (sig: NodeJS.Signals): void => {
    qemu.kill('SIGKILL');
    process.kill(process.pid, sig);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const code = await outcome;
    await new Promise<void>((r) => log.end(r));
    if (killedFor !== undefined) throw fail(`killed: ${killedFor}`);
    if (!up) throw fail(`the guest did not come up (qemu exited with ${code})`);
    const rc = join(share, 'rc');
    if (!existsSync(rc)) throw fail('the guest powered off without an exit status (kernel panic or a crash in init?)');
    const status = readFileSync(rc, 'utf8').trim();
    if (!/^\d+$/.test(status)) throw fail(`the guest wrote an exit status that is not a number: ${JSON.stringify(status.slice(0, 40))}`);
    return { status: Number(status), share, consoleLog };
  } finally {
    clearTimeout(bootTimer);
    clearTimeout(deadline);
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
