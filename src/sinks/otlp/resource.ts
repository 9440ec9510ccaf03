/**
 * The OTLP resource: who is reporting. Defaults `service.name=scx-metrics`, `host.name`, and
 * `scx.scheduler.name` when the scheduler is known (given, or the running one in sched_ext's sysfs); then
 * OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME as the OTel SDKs read them; then `--otlp-resource K=V`.
 * A later source overrides an earlier one key by key.
 */
import { hostname } from 'node:os';
import { DEFAULT_SCHED_EXT_ROOT, runningScheduler } from '../../plugin/sched-ext-root.js';

export interface ResourceInputs {
  /** The sched_ext scheduler's name, when a source or flag knows it. */
  readonly scheduler?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** `--otlp-resource` pairs, in order. */
  readonly pairs?: readonly (readonly [string, string])[];
  /** sched_ext's sysfs directory (`--sched-ext-root`); default /sys/kernel/sched_ext. */
  readonly schedExtRoot?: string;
}

/** A scheduler name from its ops name: recent scx schedulers append `_<version>...` (`rusty_1.0.12_g1a2b`). */
export function schedulerName(ops: string): string {
  const m = /^(.+?)_\d/.exec(ops);
  return m?.[1] ?? ops;
}

/** OTEL_RESOURCE_ATTRIBUTES: `k=v,k2=v2`, values percent-encoded; malformed members are skipped. */
export function parseOtelResourceAttributes(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const member of text.split(',')) {
    const eq = member.indexOf('=');
    if (eq <= 0) continue;
    const key = member.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(member.slice(eq + 1).trim());
    } catch {
      continue;
    }
    if (key !== '') out.push([key, value]);
  }
  return out;
}

export function resourceAttributes(inputs: ResourceInputs = {}): [string, string][] {
  const attrs = new Map<string, string>();
  attrs.set('service.name', 'scx-metrics');
  attrs.set('host.name', hostname());
  const ops = inputs.scheduler === undefined ? runningScheduler(inputs.schedExtRoot ?? DEFAULT_SCHED_EXT_ROOT) : undefined;
  const scheduler = inputs.scheduler ?? (ops === undefined ? undefined : schedulerName(ops));
  if (scheduler !== undefined && scheduler !== '') attrs.set('scx.scheduler.name', scheduler);
  const env = inputs.env ?? {};
  for (const [k, v] of parseOtelResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES ?? '')) attrs.set(k, v);
  if (env.OTEL_SERVICE_NAME !== undefined && env.OTEL_SERVICE_NAME !== '') attrs.set('service.name', env.OTEL_SERVICE_NAME);
  for (const [k, v] of inputs.pairs ?? []) attrs.set(k, v);
  return [...attrs];
}
