/** Grafana unit ids for a declaration's unit, as a value and as a per-second rate of a counter. */
import type { Unit } from '../../declare/types.js';

const VALUE: Readonly<Record<Unit, string>> = {
  '': 'short',
  seconds: 's',
  bytes: 'bytes',
  ratio: 'percentunit',
  celsius: 'celsius',
  joules: 'joule',
  volts: 'volt',
  amperes: 'amp',
  meters: 'lengthm',
  grams: 'massg',
  hertz: 'hertz',
};

const RATE: Readonly<Record<Unit, string>> = {
  '': 'cps',
  // Seconds per second: the share of wall time (more than 100% when summed over CPUs: 200% = two CPUs' worth).
  seconds: 'percentunit',
  bytes: 'Bps',
  ratio: 'short',
  celsius: 'short',
  joules: 'watt',
  volts: 'short',
  amperes: 'short',
  meters: 'velocityms',
  grams: 'short',
  hertz: 'short',
};

/** The unit of a gauge's or histogram's values. */
export function valueUnit(u: Unit): string {
  return VALUE[u];
}

/** The unit of a counter's per-second rate. */
export function rateUnit(u: Unit): string {
  return RATE[u];
}
