// Accept / Accept-Encoding negotiation, as table tests over the headers real scrapers send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsGzip, negotiateFormat, type FormatName } from '../../../src/sinks/prometheus/negotiate.js';

const OM: FormatName = 'openmetrics-1.0.0';
const TEXT: FormatName = 'text-0.0.4';

test('Accept: the highest-q format we serve, else text 0.0.4', () => {
  const cases: [string | undefined, FormatName, string][] = [
    [undefined, TEXT, 'no header'],
    ['', TEXT, 'empty header'],
    ['*/*', TEXT, 'curl and browsers'],
    [
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
      OM,
      'Prometheus 3 default',
    ],
    [
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      OM,
      'Prometheus 2.x default',
    ],
    ['text/plain;version=0.0.4;q=1,*/*;q=0.1', TEXT, 'Prometheus scrape_protocols PrometheusText0.0.4'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1', TEXT, 'protobuf first (not served)'],
    ['application/openmetrics-text; version=0.0.1', TEXT, 'OpenMetrics 0.0.1 only: not served, fall back'],
    ['application/openmetrics-text', OM, 'unversioned OpenMetrics'],
    ['Application/OpenMetrics-Text; Version="1.0.0"', OM, 'case and quoted parameter'],
    ['text/plain;version=1.0.0;escaping=allow-utf-8', TEXT, 'Prometheus text 1.0.0 only: fall back'],
    ['text/plain;q=0.9, application/openmetrics-text;version=1.0.0;q=0.8', TEXT, 'q decides, not order'],
    ['text/plain;q=0.3, application/openmetrics-text;version=1.0.0;q=0.8', OM, 'q decides, not order (2)'],
    ['*/*, application/openmetrics-text;version=1.0.0', OM, 'equal q: exact type beats */*'],
    ['application/*', OM, 'application/* means OpenMetrics'],
    ['text/*;q=0.5, application/*;q=0.4', TEXT, 'text/* means 0.0.4'],
    ['application/openmetrics-text;version=1.0.0;q=0, */*', TEXT, 'q=0 refuses'],
    ['application/openmetrics-text;version=1.0.0;q=0', TEXT, 'everything refused: fall back'],
    ['application/openmetrics-text;version=1.0.0;q=bogus, text/plain;q=0.1', TEXT, 'malformed q drops the entry'],
    ['application/json, text/html', TEXT, 'nothing we serve'],
    ['text/plain;version=0.0.4, application/openmetrics-text;version=1.0.0', TEXT, 'equal q and specificity: first wins'],
  ];
  for (const [accept, want, why] of cases) assert.equal(negotiateFormat(accept), want, why);
});

test('Accept-Encoding: gzip when asked with q > 0', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['deflate, gzip;q=0.5', true],
    ['x-gzip', true],
    ['gzip;q=0', false],
    ['identity', false],
    ['br', false],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
  ];
  for (const [header, want] of cases) assert.equal(acceptsGzip(header), want, String(header));
});
