// A scx-metrics sink for Lumen, a made-up time-series store that ingests text lines from a spool file
// (LUMEN_SPOOL, default ./lumen.spool):  DECLARE <metric> <kind> <help>   once per stat
//                                        PUT <metric>{k=v,...} <value> <unix-ms>   per series, every interval
// Use: scx-metrics run --sink ./examples/my-sink.js
import { appendFile } from 'node:fs/promises';

export default function lumenSink({ env, log }) {
  const spool = env.LUMEN_SPOOL ?? 'lumen.spool';
  const declared = new Set();
  let writing = Promise.resolve();
  return {
    name: 'lumen',
    flush({ registry, timeMs }) {
      const lines = [];
      for (const { decl, labelNames, series } of registry.families()) {
        if (!declared.has(decl.name)) lines.push(`DECLARE ${decl.name} ${decl.kind} ${decl.help}`);
        declared.add(decl.name);
        for (const s of series) {
          const labels = labelNames.map((k, i) => `${k}=${s.labelValues[i]}`).join(',');
          lines.push(`PUT ${decl.name}{${labels}} ${decl.kind === 'histogram' ? s.count : s.value} ${timeMs}`);
        }
      }
      // Values are read above, synchronously; the disk write happens in the background.
      writing = writing.then(() => appendFile(spool, `${lines.join('\n')}\n`)).catch((err) => log.warn(`lumen: ${err.message}`));
    },
    close: () => writing,
  };
}
