export { Registry, type Families } from './registry.js';
export { Family, LabelError, type SeriesOf, type LabelArgs } from './family.js';
export { CounterSeries, GaugeSeries, HistogramSeries, type Series } from './series.js';
export { PerSeries } from './per-series.js';
