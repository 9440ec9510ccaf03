/**
 * The OTLP resource: who is reporting. Defaults `service.name=scx-metrics`, `host.name`, and
 * `scx.scheduler.name` when the scheduler is known (given, or read from sched_ext's sysfs); then
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES as the OTel SDKs read them; then `--otlp-resource K=V`.
 * A later source overrides an earlier one key by key.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ResourceInputs {
  /** The sched_ext scheduler's name, when a source or flag knows it. */
  readonly scheduler?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** `--otlp-resource` pairs, in order. */
  readonly pairs?: readonly (readonly [string, string])[];
  /** Where sysfs is mounted (tests); default /sys. */
  readonly sysRoot?: string;
}

/** The running sched_ext scheduler's name from /sys/kernel/sched_ext/root/ops, or undefined. */
export function runningScheduler(sysRoot = '/sys'): string | undefined {
  try {
    const name = readFileSync(`${sysRoot}/kernel/sched_ext/root/ops`, 'utf8').trim();
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
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
  const scheduler = inputs.scheduler ?? runningScheduler(inputs.sysRoot);
  if (scheduler !== undefined && scheduler !== '') attrs.set('scx.scheduler.name', scheduler);
  const env = inputs.env ?? {};
  for (const [k, v] of parseOtelResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES ?? '')) attrs.set(k, v);
  if (env.OTEL_SERVICE_NAME !== undefined && env.OTEL_SERVICE_NAME !== '') attrs.set('service.name', env.OTEL_SERVICE_NAME);
  for (const [k, v] of inputs.pairs ?? []) attrs.set(k, v);
  return [...attrs];
}
