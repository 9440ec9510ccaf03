/**
 * Number text for the Prometheus text formats: sample values. Bucket bounds (`le`) take Go's %g from
 * ../go-float.ts, shared with remote_write.
 */

/** A sample value as Go's ParseFloat reads it: shortest round-trip digits, `NaN`, `+Inf`, `-Inf`. */
export function formatValue(v: number): string {
  // NaN fails v === v; the infinities are the only values outside ±MAX_VALUE.
  if (v === v && v <= Number.MAX_VALUE && v >= -Number.MAX_VALUE) return String(v);
  return v !== v ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}
