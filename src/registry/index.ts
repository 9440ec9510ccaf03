export { Registry, DEFAULT_CARDINALITY_LIMIT, type Families, type RegistryOptions } from './registry.js';
export { Family, LabelError, type SeriesOf, type LabelArgs } from './family.js';
export { CounterSeries, GaugeSeries, HistogramSeries, type Series } from './series.js';
export { PerSeries } from './per-series.js';
export { SeriesLifetime, DEFAULT_SERIES_GRACE } from './lifetime.js';
export { OVERFLOW_LABEL_VALUE } from './overflow.js';
