/** The Prometheus sink and its renderers, for library users who serve metrics from their own HTTP server. */
export { PrometheusSink, type PrometheusSinkOptions } from './server.js';
export { Text004Renderer, TEXT_004_CONTENT_TYPE } from './text-004.js';
export { OpenMetricsRenderer, OPENMETRICS_CONTENT_TYPE } from './openmetrics.js';
export { negotiateFormat, acceptsGzip, type FormatName } from './negotiate.js';
export { SeriesLabels } from './series-labels.js';
export type { ExpositionFormat } from './format.js';
