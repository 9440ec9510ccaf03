/**
 * The command line: `scx-metrics <command> [flags]`. Thin by design: flags become plugin values, plugins
 * become sources and sinks, and the agent runs them. Bad usage prints one line on stderr and exits 2.
 */
import { VERSION } from '../support/version.js';
import { parseCommandArgs } from './args.js';
import { type FlagSpecs, type FlagValues, UsageError } from '../plugin/flags.js';
import { formatFlags } from './usage.js';
import { runCommand, runFlags } from './run.js';
import { describeCommand, describeFlags } from './describe.js';
import { monitorCommand, monitorFlags } from './monitor.js';
import { genHeaderCommand, genHeaderFlags } from './gen-header.js';
import { topCommand, topFlags } from './top.js';
import { dashboardCommand, dashboardFlags } from './dashboard.js';
import { doctorCommand, doctorFlags } from './doctor.js';

export interface Command {
  readonly summary: string;
  readonly usage: string;
  flags(): FlagSpecs;
  /** Runs the command with its flag values and the names of the flags the user gave; resolves to the exit status. */
  main(values: FlagValues, given: ReadonlySet<string>): Promise<number>;
}

const helpFlag: FlagSpecs = { help: { type: 'boolean', short: 'h', help: 'Show this help' } };

export const commands: Readonly<Record<string, Command>> = {
  run: {
    summary: 'Collect stats every interval and publish them to the enabled sinks',
    usage: 'scx-metrics run [flags]',
    flags: runFlags,
    main: runCommand,
  },
  describe: {
    summary: "List every declared stat with kind, unit and help (a scheduler's --help-stats)",
    usage: 'scx-metrics describe [flags]',
    flags: describeFlags,
    main: describeCommand,
  },
  'gen-header': {
    summary: "Print the C header (stats enum, map, stat_inc) for a scheduler's BPF side from its declarations",
    usage: 'scx-metrics gen-header (--scheduler NAME | --stats MODULE) [-o FILE]',
    flags: genHeaderFlags,
    main: genHeaderCommand,
  },
  top: {
    summary: 'A full-screen live view of the stats: rates and sparklines, labelled counters expandable',
    usage: 'scx-metrics top [--from URL] [source flags]',
    flags: topFlags,
    main: topCommand,
  },
  dashboard: {
    summary: 'Print a Grafana dashboard generated from the declarations (host, a --scheduler profile, or a live --scx-stats meta)',
    usage: 'scx-metrics dashboard --grafana [--scheduler NAME] [--scx-stats PATH] [-o FILE]',
    flags: dashboardFlags,
    main: dashboardCommand,
  },
  doctor: {
    summary: 'Say what this host supports (sched_ext, a scheduler, BPF permission, BTF, schedstat, PSI, the port) and what to do about what is missing',
    usage: 'scx-metrics doctor [run flags]',
    flags: doctorFlags,
    main: doctorCommand,
  },
  monitor: { summary: "Print a running scx scheduler's stats every interval, like its --monitor", usage: 'scx-metrics monitor [flags]', flags: monitorFlags, main: monitorCommand },
};

function topHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length)) + 4;
  return [
    'scx-metrics: export sched_ext scheduler stats to Prometheus, the terminal and other backends',
    '',
    'Usage: scx-metrics <command> [flags]',
    '       scx-metrics --version',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    "Run 'scx-metrics <command> --help' for a command's flags.",
  ].join('\n');
}

/** Parses argv (without node and script) and runs the command. Resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${topHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`scx-metrics ${VERSION}\n`);
    return 0;
  }
  const cmd = commands[name];
  if (cmd === undefined) throw new UsageError(`unknown command "${name}" (expected one of: ${Object.keys(commands).join(', ')})`);
  const specs = { ...cmd.flags(), ...helpFlag };
  const { values, given } = parseCommandArgs(name, rest, specs);
  if (values.help === true) {
    process.stdout.write(`Usage: ${cmd.usage}\n\n${cmd.summary}\n\nFlags:\n${formatFlags(specs)}\n`);
    return 0;
  }
  return cmd.main(values, given);
}
