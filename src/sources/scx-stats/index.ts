/** The scx_stats source, its client and typing overlays, for library users. */
export {
  DEFAULT_SCX_STATS_PATH,
  ScxStatsClient,
  ScxStatsTimeoutError,
  ScxStatsUnavailableError,
  probeScxStats,
  type ScxStatsClientOptions,
  type PreparedRequest,
} from './client.js';
export { ScxStatsErrnoError, ScxStatsProtocolError, type StatsMeta, type MetaStruct, type MetaField } from './protocol.js';
export { ScxStatsSource, type ScxStatsSourceOptions } from './source.js';
export { MetaExport, type ExportOptions } from './export.js';
export { planMeta, topStruct, type MetaPlan } from './meta.js';
export { overlays, overlayByName, matchOverlay, type ScxOverlay, type StructOverlay, type CountField, type ShareCounts } from './overlays/index.js';
export { formatReport } from './report.js';
