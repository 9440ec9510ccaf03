/**
 * A source over one /proc file. Each declaration's `from` (a ProcRef) says which line and column holds its
 * number; this class only matches refs to parsed lines. One instance per file, so a missing or malformed
 * file fails only its own source for that interval.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatDecl, StatSet } from '../../declare/types.js';
import type { Logger } from '../../support/log.js';
import type { CounterSeries, Family, GaugeSeries } from '../../registry/index.js';
import type { Source, SourceContext } from '../../plugin/source.js';
import { cpuKeys, numberField, parseProcLines, type ProcLines } from './proc-file.js';
import type { ProcRef } from './stats.js';

type Updatable = CounterSeries | GaugeSeries;

interface Binding {
  readonly decl: StatDecl;
  readonly ref: ProcRef;
  readonly family: Family;
  /** For per-CPU stats: handles by CPU key, then by column. */
  readonly perCpu: Map<string, Updatable[]>;
  /** For a scalar stat: its one handle, resolved on first use. */
  scalar?: Updatable;
}

export interface ProcFileSourceOptions {
  /** Root of the proc filesystem; tests point it at fixture trees. Default /proc. */
  readonly procRoot?: string;
  /** When true, a missing file is said once and the source reads nothing (files that exist only on some kernels). */
  readonly optional?: boolean;
}

export class ProcFileSource implements Source {
  readonly name: string;
  private readonly set: StatSet;
  private readonly path: string;
  private readonly optional: boolean;
  private bindings: Binding[] = [];
  /** An optional file found missing (ENOENT), until it is read again. */
  private absent = false;
  private log: Logger | undefined;

  constructor(set: StatSet, file: ProcRef['file'], opts: ProcFileSourceOptions = {}) {
    this.set = set;
    this.name = `proc:${file}`;
    this.path = join(opts.procRoot ?? '/proc', file);
    this.optional = opts.optional ?? false;
  }

  stats(): readonly StatSet[] {
    return [this.set];
  }

  present(): boolean {
    return !this.absent;
  }

  attach(ctx: SourceContext): void {
    this.log = ctx.log;
    // Known before the first collection, so no health series is exported for a file this kernel lacks.
    this.absent = this.optional && !existsSync(this.path);
    const families = ctx.registry.register(this.set);
    this.bindings = Object.values(this.set.stats)
      .filter((d) => d.from?.source === 'proc')
      .map((decl) => ({ decl, ref: decl.from as ProcRef, family: families[decl.key] as Family, perCpu: new Map() }));
    // /proc lists online CPUs only: a CPU taken offline stops being reported, and its series expire.
    for (const b of this.bindings) if (b.ref.field === 'cpu') ctx.lifetime?.track(b.family);
  }

  async collect(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (this.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.absent = true;
        this.log?.once(`absent:${this.path}`, `${this.path} is not present on this kernel; its stats are not exported`);
        return;
      }
      throw new Error(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    this.absent = false;
    const lines = parseProcLines(text);
    const problems: string[] = [];
    for (const b of this.bindings) {
      const problem = b.ref.field === 'cpu' ? this.applyPerCpu(b, lines) : this.applyScalar(b, lines);
      if (problem !== undefined) problems.push(problem);
    }
    // Everything that parsed has been applied; report the rest as one error for this interval.
    if (problems.length > 0) throw new Error(`${this.path} is malformed: ${problems.join('; ')}`);
  }

  private applyScalar(b: Binding, lines: ProcLines): string | undefined {
    const fields = lines.get(b.ref.field);
    // PSI lines are `some avg10=.. total=N`; /proc/stat lines are `ctxt N`.
    const raw = numberField(fields, this.path.includes('pressure') ? 'total' : 0);
    if (raw === undefined) return `"${b.ref.field}" missing or not a number`;
    update(b.scalar ??= b.family.withValues([]) as unknown as Updatable, raw * (b.ref.scale ?? 1));
    return undefined;
  }

  private applyPerCpu(b: Binding, lines: ProcLines): string | undefined {
    const cpus = cpuKeys(lines);
    if (cpus.length === 0) return 'no per-CPU lines';
    // A stat with a `mode` label takes one column per mode value; otherwise the ref names the column.
    const modes = b.family.labelNames.length > 1 ? (b.decl.labels[b.family.labelNames[1] as string] as readonly string[]) : undefined;
    const bad: string[] = [];
    for (const { key, cpu } of cpus) {
      let handles = b.perCpu.get(key);
      // Swept while the CPU was offline: it is back, with new series.
      if (handles === undefined || handles[0]?.removed === true) {
        handles = modes === undefined ? [b.family.withValues([cpu]) as unknown as Updatable] : modes.map((m) => b.family.withValues([cpu, m]) as unknown as Updatable);
        b.perCpu.set(key, handles);
      }
      const fields = lines.get(key);
      for (let i = 0; i < handles.length; i++) {
        const column = modes === undefined ? (b.ref.column ?? 0) : i;
        const raw = numberField(fields, column);
        // A bad column is reported; every other CPU and column is still applied.
        if (raw === undefined) bad.push(`${key}: column ${column} missing or not a number`);
        else update(handles[i] as unknown as Updatable, raw * (b.ref.scale ?? 1));
      }
    }
    return bad.length === 0 ? undefined : bad.join('; ');
  }
}

/**
 * Kernel counters never restart short of a reboot (which restarts the agent too), but per-CPU iowait and
 * idle times can dip: counters take the high-water mark, so a dip is not mistaken for a restart.
 */
function update(s: Updatable, v: number): void {
  if ('absoluteMax' in s) s.absoluteMax(v);
  else s.set(v);
}
