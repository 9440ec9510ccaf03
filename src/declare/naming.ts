/**
 * Naming rules shared by every exposition: Prometheus' legacy charset, base-unit suffixes, `_total` on
 * counters, reserved suffixes. Declarations are checked here once, at definition time, so sinks never need to.
 */
import type { MetricKind, Unit } from './types.js';

const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Suffixes OpenMetrics reserves for samples of a family; a family name must not end in one. */
export const RESERVED_SUFFIXES = ['_total', '_created', '_count', '_sum', '_bucket', '_gcount', '_gsum', '_info'];
/** Label names the expositions use themselves. */
export const RESERVED_LABELS = ['le', 'quantile'];

/** Thrown for a declaration that breaks a naming rule; the message names the stat and the rule. */
export class DeclarationError extends Error {
  override name = 'DeclarationError';
}

/**
 * The family name for a declared stat: the key (with the set's prefix), `_total` dropped from counters (it is
 * a sample suffix, added back at render time), and the unit suffix appended when missing.
 */
export function familyName(prefix: string, key: string, kind: MetricKind, unit: Unit): string {
  let name = prefix === '' ? key : `${prefix}_${key}`;
  if (kind === 'counter' && name.endsWith('_total')) name = name.slice(0, -'_total'.length);
  if (unit !== '' && !name.endsWith(`_${unit}`)) name = `${name}_${unit}`;
  if (!METRIC_NAME.test(name)) {
    throw new DeclarationError(`stat "${key}": name "${name}" is not a valid metric name (expected [a-zA-Z_][a-zA-Z0-9_]*)`);
  }
  for (const suffix of RESERVED_SUFFIXES) {
    if (name.endsWith(suffix)) {
      throw new DeclarationError(`stat "${key}": name "${name}" ends in the reserved suffix "${suffix}"`);
    }
  }
  return name;
}

/** Checks a label name; throws a DeclarationError naming the stat when it is not usable. */
export function checkLabelName(stat: string, label: string): void {
  if (!LABEL_NAME.test(label) || label.startsWith('__')) {
    throw new DeclarationError(
      `stat "${stat}": label "${label}" is not a valid label name (expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__")`,
    );
  }
  if (RESERVED_LABELS.includes(label)) {
    throw new DeclarationError(`stat "${stat}": label "${label}" is reserved by the exposition formats`);
  }
}

/** The counter sample name for a family. */
export function counterSampleName(family: string): string {
  return `${family}_total`;
}
