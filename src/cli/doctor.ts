/**
 * `scx-metrics doctor [run's flags]`: what this host supports and what to do about what is missing, one line
 * per finding (src/doctor/checks.ts), always exit 0. Which sources `run` would start is found by building them
 * with `run`'s own plugins and the same flags, then closing them unstarted.
 */
import { readFileSync } from 'node:fs';
import { diagnose, formatFinding } from '../doctor/checks.js';
import { memoryLogger } from '../support/log.js';
import { Registry } from '../registry/registry.js';
import { profileForOps } from '../sources/bpf/plugin.js';
import { loadProfileModule } from '../sources/bpf/profile-module.js';
import type { SchedulerProfile } from '../bpf-layout/profile.js';
import { schedExtRoot } from '../plugin/sched-ext-root.js';
import { DEFAULT_SCX_STATS_PATH } from '../sources/scx-stats/client.js';
import { createSources, pluginFlags } from './catalog.js';
import { type FlagSpecs, type FlagValues, listFlag, parseHostPort, stringFlag } from '../plugin/flags.js';

/** The kernel's BTF, as the probe reads it. */
const BTF_PATH = '/sys/kernel/btf/vmlinux';

export function doctorFlags(): FlagSpecs {
  return pluginFlags();
}

export async function doctorCommand(values: FlagValues): Promise<number> {
  const extra: SchedulerProfile[] = [];
  for (const path of listFlag(values, 'profile')) extra.push(await loadProfileModule(path));
  const findings = await diagnose({
    schedExtRoot: schedExtRoot(values),
    scxStatsPath: stringFlag(values, 'scx-stats') ?? DEFAULT_SCX_STATS_PATH,
    procRoot: stringFlag(values, 'proc-root') ?? '/proc',
    btfPath: BTF_PATH,
    statusText: readFileSync('/proc/self/status', 'utf8'),
    listen: parseHostPort('prometheus-listen', stringFlag(values, 'prometheus-listen') ?? '0.0.0.0:9000'),
    profileFor: (ops) => profileForOps(ops, extra)?.name,
    sources: async () => {
      const log = memoryLogger();
      const made = await createSources(values, { log, intervalSeconds: 2, out: process.stdout, env: process.env });
      const registry = new Registry();
      const out: { name: string; waiting: boolean }[] = [];
      for (const s of made) {
        // Sources that can be absent know it at attach, which for them only registers declarations; the others
        // (the probe loads BPF when attached) are not attached here.
        let waiting = false;
        if (s.present !== undefined) {
          await s.attach({ registry, log });
          waiting = !s.present();
        }
        out.push({ name: s.name, waiting });
      }
      await Promise.all(made.map((s) => Promise.resolve(s.close?.()).catch(() => undefined)));
      return out;
    },
  });
  for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
  return 0;
}
