/**
 * Every parser of outside input, given any input: it returns, or throws its own error type with a message,
 * never a TypeError, RangeError or a stack overflow from garbage. Where a parser returns numbers, they are
 * finite (a counter fed Infinity would poison every later value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as yamlText } from 'yaml';
import { parseCommandArgs } from '../../src/cli/args.js';
import { describeFlags } from '../../src/cli/describe.js';
import { type FlagSpecs, UsageError } from '../../src/plugin/flags.js';
import { genHeaderFlags } from '../../src/cli/gen-header.js';
import { monitorFlags } from '../../src/cli/monitor.js';
import { runFlags } from '../../src/cli/run.js';
import { memoryLogger } from '../../src/support/log.js';
import { Registry } from '../../src/registry/index.js';
import { acceptsGzip, negotiateFormat } from '../../src/sinks/prometheus/negotiate.js';
import { WebConfigError, parseWebConfig } from '../../src/sinks/http/web-config.js';
import { parseProcLines, numberField, cpuKeys } from '../../src/sources/host/proc-file.js';
import { ProcFileSource } from '../../src/sources/host/source.js';
import { pressureStats, procStatStats, schedstatStats } from '../../src/sources/host/stats.js';
import { EVENT_PREFIX, EventDecls, schedExtEventStats } from '../../src/sources/sched-ext/events.js';
import { SysfsFormatError, parseEvents, parseIntFile, parseState, schedulerName } from '../../src/sources/sched-ext/sysfs.js';
import { MetaExport } from '../../src/sources/scx-stats/export.js';
import { planMeta } from '../../src/sources/scx-stats/meta.js';
import { matchOverlay } from '../../src/sources/scx-stats/overlays/index.js';
import { ScxStatsErrnoError, ScxStatsProtocolError, checkMeta, decodeResponse, type StatsMeta } from '../../src/sources/scx-stats/protocol.js';
import { bpflandMeta, lavdMeta, layeredMeta } from '../sources/scx-stats/metas.js';
import { hasOpenssl, makeCerts } from '../helpers/certs.js';
import { fuzzRuns } from './params.js';

/** Any UTF-16 string, lone surrogates included (what a broken peer or file can hold). */
const anyText = fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength: 200 });
/** Text biased towards what the parsers look for: digits, separators, names. */
const lineish = fc.string({ unit: fc.constantFrom('0', '1', '9', ' ', '\t', '\n', '=', '-', '.', 'cpu', 'ctxt', 'some', 'total', 'SCX_EV_', 'x', '_', 'é', '\u0000', '99999999999999999999999999999', '9'.repeat(330)), maxLength: 60 });

/** Runs `f`; an exception must be one of `allowed`. */
function onlyThrows(allowed: readonly (abstract new (...a: never[]) => Error)[], f: () => void): void {
  try {
    f();
  } catch (err) {
    if (!allowed.some((c) => err instanceof c)) {
      throw new Error(`threw ${(err as Error)?.constructor?.name ?? typeof err} (${String((err as Error)?.message ?? err)}), expected only ${allowed.map((c) => c.name).join(' or ')}`);
    }
    assert.ok((err as Error).message.length > 0, 'the error says what is wrong');
  }
}

// --- scx_stats -------------------------------------------------------------------------------------------

const SCX = [ScxStatsProtocolError, ScxStatsErrnoError] as const;

test('fuzz: scx_stats decodeResponse: any line is a value or a protocol/errno error', () => {
  const shaped = fc.record({ errno: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()), args: fc.oneof(fc.record({ resp: fc.jsonValue() }), fc.jsonValue()) }).map((o) => JSON.stringify(o));
  fc.assert(
    fc.property(fc.oneof(anyText, fc.json(), shaped), (line) => onlyThrows(SCX, () => decodeResponse(line, 'stats'))),
    fuzzRuns(2000),
  );
});

const KINDS = ['i64', 'u64', 'float', 'string'] as const;
const STRUCTS = ['top', 'a', 'b', 'c'] as const;

/** A kind: mostly valid, referring to structs that may or may not exist, sometimes garbage. */
const kind = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KINDS) },
  { weight: 3, arbitrary: fc.constantFrom(...STRUCTS, 'missing').map((s) => ({ struct: s })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const userAttrs = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom('_om_prefix', '_om_label', '_om_skip', 'x'), fc.oneof(fc.constantFrom('', 'p_', 'layer', 'cpu', 'le', '__x', '9bad', 'true'), anyText), { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('_om_prefix', '_om_label', '_om_skip'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }) },
);
const field = fc.oneof(
  fc.record({ datum: kind }, { requiredKeys: [] }),
  fc.record({ array: kind }),
  fc.record({ dict: fc.oneof(fc.record({ key: kind, datum: kind }), fc.jsonValue({ maxDepth: 1 })) }),
  fc.jsonValue({ maxDepth: 1 }),
).chain((f) => fc.record({ user: userAttrs, desc: anyText }, { requiredKeys: [] }).map((extra) => (typeof f === 'object' && f !== null && !Array.isArray(f) ? { ...f, ...extra } : f)));
const struct = fc.record(
  {
    top: fc.constantFrom('true', undefined),
    user: userAttrs,
    fields: fc.dictionary(fc.oneof(fc.constantFrom('load', 'nr', 'name', 'doms', 'le', 'x'), fc.string({ maxLength: 6 })), field, { maxKeys: 6 }),
  },
  { requiredKeys: ['fields'] },
);
const metaArb = fc.oneof(fc.dictionary(fc.constantFrom(...STRUCTS), struct, { minKeys: 1, maxKeys: 4 }), fc.jsonValue({ maxDepth: 3 }));

/**
 * Arbitrary `stats` responses for `meta` from struct `name`: mostly the right shapes, with garbage mixed in.
 * Built from fast-check's own combinators (not drawn with fc.gen), so a failure shrinks field by field in
 * bounded memory: shrinking a long fc.gen history ran a 4 GB heap out at scale 10.
 */
function responseArb(meta: StatsMeta, name: string, depth = 0, memo = new Map<string, fc.Arbitrary<unknown>>()): fc.Arbitrary<unknown> {
  const id = `${name}@${depth}`;
  const known = memo.get(id);
  if (known !== undefined) return known;
  const garbage = fc.jsonValue({ maxDepth: 2 });
  const s = meta[name];
  if (s === undefined || depth > 3) return garbage;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [fname, f] of Object.entries(s.fields)) {
    const k = 'datum' in f ? f.datum : undefined;
    let value: fc.Arbitrary<unknown>;
    if ('dict' in f && typeof f.dict.datum === 'object') {
      // Keys and strings become label values: NUL (which no label value may hold) is drawn on purpose.
      const key = fc.oneof(fc.constantFrom('0', '1', 'a', 'le', 'a\u0000b'), anyText);
      value = fc.dictionary(key, responseArb(meta, f.dict.datum.struct, depth + 1, memo), { maxKeys: 3, noNullPrototype: true });
    } else if (k === 'string') value = fc.oneof({ weight: 5, arbitrary: anyText }, { weight: 1, arbitrary: fc.constantFrom('\u0000', 'x\u0000') }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
    else if (k === 'i64' || k === 'u64' || k === 'float') value = fc.oneof({ weight: 5, arbitrary: fc.integer() }, { weight: 2, arbitrary: fc.double() }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
    else value = garbage;
    // undefined: the field is missing (the export skips it like an absent key).
    fields[fname] = fc.oneof({ weight: 14, arbitrary: value }, { weight: 1, arbitrary: fc.constant(undefined) });
  }
  const arb = fc.oneof({ weight: 19, arbitrary: fc.record(fields, { noNullPrototype: true }) }, { weight: 1, arbitrary: garbage });
  memo.set(id, arb);
  return arb;
}

/** Three successive responses for `meta` from its top struct. */
const threeResponses = (meta: StatsMeta, top: string): fc.Arbitrary<readonly unknown[]> => fc.array(responseArb(meta, top), { minLength: 3, maxLength: 3 });

test('fuzz: scx_stats meta: checkMeta, planMeta, MetaExport and apply() of responses throw only ScxStatsProtocolError', () => {
  interface Case {
    readonly meta: StatsMeta | undefined;
    readonly responses: readonly unknown[];
  }
  const cases = metaArb.chain((raw): fc.Arbitrary<Case> => {
    let meta: StatsMeta;
    try {
      meta = checkMeta(raw);
    } catch (err) {
      if (err instanceof ScxStatsProtocolError) return fc.constant({ meta: undefined, responses: [] });
      throw err;
    }
    // planMeta may reject the meta (then no responses are needed); the property checks it throws only our error.
    let top: string | undefined;
    try {
      top = planMeta(meta).top;
    } catch {
      top = undefined;
    }
    return (top === undefined ? fc.constant([]) : threeResponses(meta, top)).map((responses) => ({ meta, responses }));
  });
  fc.assert(
    fc.property(cases, ({ meta, responses }) => {
      if (meta === undefined) return;
      onlyThrows([ScxStatsProtocolError], () => {
        const plan = planMeta(meta);
        const exp = new MetaExport(plan, {});
        const registry = new Registry();
        exp.bind(registry, new Map());
        for (const resp of responses) {
          try {
            exp.apply(resp);
          } catch (err) {
            if (!(err instanceof ScxStatsProtocolError)) throw err;
          }
        }
        for (const fam of registry.families()) for (const s of fam.series) if ('value' in s) assert.ok(!Number.isNaN(s.value) || fam.decl.kind === 'gauge', `${fam.decl.name}: counter NaN`);
      });
    }),
    fuzzRuns(1500),
  );
});

test("fuzz: scx_stats responses against real schedulers' metas and typing overlays throw only ScxStatsProtocolError", () => {
  const metas = [layeredMeta, lavdMeta, bpflandMeta].map((m) => checkMeta(m));
  const cases = fc.oneof(...metas.map((meta) => threeResponses(meta, planMeta(meta).top).map((responses) => ({ meta, responses }) as const)));
  fc.assert(
    fc.property(cases, ({ meta, responses }) => {
      const plan = planMeta(meta);
      const exp = new MetaExport(plan, { overlay: matchOverlay(meta, plan.top) });
      const registry = new Registry();
      exp.bind(registry, new Map());
      for (const resp of responses) {
        onlyThrows([ScxStatsProtocolError], () => exp.apply(resp));
      }
      for (const fam of registry.families()) {
        for (const s of fam.series) if (fam.decl.kind === 'counter' && 'value' in s) assert.ok(Number.isFinite(s.value) && s.value >= 0, `${fam.decl.name} = ${s.value}`);
      }
    }),
    fuzzRuns(40),
  );
});

// --- sched_ext sysfs ----------------------------------------------------------------------------------------

test('fuzz: sched_ext sysfs files: an integer, a state, events and names parse or throw SysfsFormatError', () => {
  fc.assert(
    fc.property(fc.oneof(anyText, lineish, fc.bigInt().map(String)), (text) => {
      onlyThrows([SysfsFormatError], () => assert.ok(Number.isSafeInteger(parseIntFile('nr_rejected', text)) || Number.isFinite(parseIntFile('nr_rejected', text))));
      onlyThrows([SysfsFormatError], () => assert.match(parseState(text), /^[a-z_]+$/));
      const { events, problems } = parseEvents(text);
      for (const e of events) assert.ok(Number.isFinite(e.value) && e.value >= 0, `${e.name} = ${e.value}`);
      assert.ok(problems.every((p) => p.startsWith('events: ')));
      assert.equal(typeof schedulerName(text), 'string');
    }),
    fuzzRuns(3000),
  );
});

test('fuzz: sched_ext event names a newer kernel might show: a declaration, or undefined said once; never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(anyText, fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/), fc.constantFrom('SCX_EV_', 'SCX_EV_le', 'SCX_EV___x', '_')), (name) => {
      const log = memoryLogger();
      const decls = new EventDecls(schedExtEventStats, EVENT_PREFIX, {});
      const d = decls.get(name, log);
      if (d !== undefined) new Registry().register({ ...decls.discovered[0] ?? schedExtEventStats });
      assert.ok(log.lines.length <= 1);
    }),
    fuzzRuns(1500),
  );
});

// --- host /proc -----------------------------------------------------------------------------------------

test('fuzz: /proc line parsing never throws and numbers are finite', () => {
  fc.assert(
    fc.property(fc.oneof(anyText, lineish), fc.oneof(fc.nat(10), fc.constantFrom('total', 'avg10', '')), (text, at) => {
      const lines = parseProcLines(text);
      for (const [, fields] of lines) {
        const n = numberField(fields, at);
        assert.ok(n === undefined || (Number.isFinite(n) && n >= 0), `numberField gave ${n}`);
      }
      for (const { cpu } of cpuKeys(lines)) assert.match(cpu, /^\d+$/);
    }),
    fuzzRuns(3000),
  );
});

test('fuzz: host sources over any /proc/stat, pressure and schedstat content: plain Errors naming the file, finite values', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'scx-fuzz-proc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'pressure'), ''); // a file where a directory should be: a read error, not a crash
  const stat = fc.array(fc.oneof(lineish, fc.constantFrom('cpu0 1 2 3 4 5 6 7 8 9 10', 'ctxt 12', 'processes 99999999999999999999999999999999999999', 'procs_running 1e400', `procs_blocked ${'9'.repeat(400)}`, `cpu1 ${'9'.repeat(400)} 1`, 'cpu 1 2')), { maxLength: 8 });
  await fc.assert(
    fc.asyncProperty(stat, async (lines) => {
      writeFileSync(join(root, 'stat'), lines.join('\n'));
      writeFileSync(join(root, 'schedstat'), lines.join('\n'));
      const registry = new Registry();
      for (const [set, file] of [[procStatStats, 'stat'], [schedstatStats, 'schedstat'], [pressureStats, 'pressure/cpu']] as const) {
        const src = new ProcFileSource(set, file, { procRoot: root });
        src.attach({ registry, log: memoryLogger() });
        for (let i = 0; i < 2; i++) {
          try {
            await src.collect();
          } catch (err) {
            assert.equal((err as Error).constructor, Error);
            assert.match((err as Error).message, new RegExp(`^(cannot read ${root}|${root}/\\S+ is malformed)`));
          }
        }
      }
      for (const fam of registry.families()) for (const s of fam.series) if ('value' in s) assert.ok(Number.isFinite(s.value), `${fam.decl.name} = ${s.value}`);
    }),
    fuzzRuns(100),
  );
});

// --- Accept headers -------------------------------------------------------------------------------------

test('fuzz: Accept and Accept-Encoding headers always negotiate a served format and a yes/no for gzip', () => {
  const token = fc.constantFrom('text/plain', 'application/openmetrics-text', '*/*', 'text/*', 'application/*', 'gzip', 'x-gzip', '*', 'identity', 'TEXT/PLAIN', 'application/vnd.google.protobuf');
  const param = fc.constantFrom(';q=0', ';q=1', ';q=0.5', ';q=1.001', ';q=abc', ';version=0.0.4', ';version=1.0.0', ';version="1.0.0"', ';version=2', ';charset=utf-8', ';;', ';=', ';q=', ';q="0.3"');
  const entry = fc.tuple(token, fc.array(param, { maxLength: 3 })).map(([t, ps]) => t + ps.join(''));
  const header = fc.oneof(fc.array(entry, { maxLength: 5 }).map((es) => es.join(', ')), anyText);
  fc.assert(
    fc.property(header, (h) => {
      assert.ok(['text-0.0.4', 'openmetrics-1.0.0'].includes(negotiateFormat(h)));
      assert.equal(typeof acceptsGzip(h), 'boolean');
    }),
    fuzzRuns(3000),
  );
});

// --- web config -------------------------------------------------------------------------------------------

test('fuzz: --web-config: any YAML text or object gives a checked config or one WebConfigError naming the file', async (t) => {
  // Real files for the names a config may give: openssl-made certificates when openssl is here, and garbage.
  const certs = hasOpenssl() ? makeCerts() : undefined;
  const dir = certs?.dir ?? mkdtempSync(join(tmpdir(), 'scx-fuzz-web-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (certs !== undefined) {
    certs.issue('server');
    certs.issue('other');
  }
  writeFileSync(join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'empty.pem'), '');
  const path = join(dir, 'web.yml');
  const file = fc.constantFrom('server.crt', 'server.key', 'other.key', 'ca.crt', 'garbage.pem', 'empty.pem', 'missing.pem', dir, '', '/dev/null', join(dir, 'server.crt'));
  const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), anyText, fc.constantFrom('', 'TLS10', 'TLS12', 'TLS13', 'TLS14', 'NoClientCert', 'RequireAndVerifyClientCert', 'VerifyClientCertIfGiven', 'nosniff', 'deny', 'x\r\ny: z'));
  const any = fc.oneof({ weight: 3, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
  const hash = fc.oneof(fc.constant(`$2y$10$${'a'.repeat(53)}`), fc.constant(`$2b$04$${'./Ab9'.repeat(10)}xyz`), fc.constant('$2y$10$short'), scalar);
  const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: any });
  /** A field mostly left out (written as nothing), so a config can get through every check. */
  const rare = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: maybe(a) });
  const tls = fc.record(
    {
      // Mostly the matching pair, so some configs get through every TLS check.
      cert_file: maybe(fc.oneof({ weight: 4, arbitrary: fc.constant('server.crt') }, { weight: 1, arbitrary: file })),
      key_file: maybe(fc.oneof({ weight: 4, arbitrary: fc.constant('server.key') }, { weight: 1, arbitrary: file })),
      client_ca_file: rare(file),
      client_auth_type: rare(fc.constantFrom('NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert', 'Bogus')),
      min_version: rare(fc.constantFrom('TLS10', 'TLS11', 'TLS12', 'TLS13', 'SSL3')),
      max_version: rare(fc.constantFrom('TLS10', 'TLS11', 'TLS12', 'TLS13', 'SSL3')),
      cipher_suites: rare(fc.array(fc.constantFrom('TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_RC4_128_SHA', 'nope'), { maxLength: 3 })),
      curve_preferences: rare(fc.array(fc.constantFrom('X25519', 'CurveP256', 'CurveP521', 'nope'), { maxLength: 3 })),
      prefer_server_cipher_suites: rare(fc.boolean()),
    },
    { requiredKeys: [] },
  );
  const headerName = fc.constantFrom('Strict-Transport-Security', 'x-content-type-options', 'X-Frame-Options', 'X-XSS-Protection', 'Content-Security-Policy', 'Set-Cookie', 'x-frame-options ');
  const http = fc.record({ headers: maybe(fc.dictionary(headerName, maybe(fc.oneof(scalar, fc.constantFrom('nosniff', 'DENY', 'sameorigin', 'max-age=1'))), { maxKeys: 3 })), http2: maybe(fc.boolean()) }, { requiredKeys: [] });
  const users = fc.dictionary(fc.oneof(fc.constantFrom('alice', 'a:b', '', '__proto__', 'constructor'), anyText), hash, { maxKeys: 3 });
  /** Sometimes a field the toolkit does not know, at any level. */
  const extra = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ weight: 6, arbitrary: a }, { weight: 1, arbitrary: fc.tuple(a, fc.constantFrom('bogus', 'certfile', 'Headers'), any).map(([o, k, v]) => ({ ...o, [k]: v })) });
  const config = extra(fc.record({ tls_server_config: maybe(extra(tls)), http_server_config: maybe(extra(http)), basic_auth_users: maybe(users) }, { requiredKeys: [] }));
  // YAML text: a config written out, the same text cut or spliced, YAML features (anchors, aliases, tags,
  // merge keys, several documents), and any text at all.
  const yamlBits = fc.constantFrom('&a ', '*a', '*nope', '<<: ', '!!binary aGk=', '!!set ', '!!str ', '!!map ', '!!int ', '!x ', '---\n', '...\n', '? ', ': ', '- ', '{', '}', '[', ']', ',', '"', "'", '|\n  ', '>\n  ', '#', '\t', '\n', '  ', 'tls_server_config', 'basic_auth_users', 'http_server_config', 'headers', 'cert_file', '\u0000', '\ufeff', '%YAML 1.2\n', '%TAG ! tag:x,2000:\n');
  const text = fc.oneof(
    { weight: 4, arbitrary: config.map((c) => yamlText(c)) },
    { weight: 2, arbitrary: fc.tuple(config.map((c) => yamlText(c)), fc.nat(), fc.array(yamlBits, { maxLength: 4 })).map(([y, at, bits]) => y.slice(0, at % (y.length + 1)) + bits.join('') + y.slice(at % (y.length + 1))) },
    { weight: 2, arbitrary: fc.array(fc.oneof(yamlBits, fc.constantFrom('a', 'b', '1', 'x: ')), { maxLength: 20 }).map((bits) => bits.join('')) },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: fc.constantFrom('a: &a [*a]', 'a: &a {b: *a}', `a: &a [x]\nb: &b [${'*a,'.repeat(50)}]\nc: &c [${'*b,'.repeat(50)}]\n`, 'basic_auth_users: !!set {a, b}', 'basic_auth_users: !!binary aGk=') },
  );
  let loaded = 0;
  let withTls = 0;
  await fc.assert(
    fc.asyncProperty(text, async (yaml) => {
      let cfg;
      try {
        cfg = parseWebConfig(yaml, path);
      } catch (err) {
        if (!(err instanceof WebConfigError)) throw new Error(`threw ${(err as Error)?.constructor?.name} (${String((err as Error)?.message ?? err)}), expected only WebConfigError`);
        assert.ok(err.message.startsWith(`web config ${path}: `), err.message);
        return;
      }
      // A config that loads keeps the rules: bcrypt hashes, users without ":", only the allowed headers.
      for (const [user, h] of cfg.users) {
        assert.ok(!user.includes(':'), user);
        assert.match(h, /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/);
      }
      for (const [name, value] of cfg.headers) {
        assert.match(name.toLowerCase(), /^(strict-transport-security|x-content-type-options|x-frame-options|x-xss-protection|content-security-policy)$/);
        assert.doesNotMatch(value, /[\r\n\0]/);
      }
      if (cfg.tls !== undefined) assert.ok(cfg.tls.cert.length > 0 && cfg.tls.key.length > 0);
      assert.equal(cfg.files[0], path);
      loaded++;
      if (cfg.tls !== undefined) withTls++;
    }),
    fuzzRuns(1500),
  );
  // The generator reaches configs that load, TLS ones included, not only errors.
  assert.ok(loaded > 0, 'no generated config loaded');
  if (certs !== undefined) assert.ok(withTls > 0, `${loaded} configs loaded, none with TLS`);
  t.diagnostic(`${loaded} configs loaded, ${withTls} with TLS`);
});

// --- flags ----------------------------------------------------------------------------------------------

const commands: [string, FlagSpecs][] = [
  ['run', runFlags()],
  ['describe', describeFlags()],
  ['monitor', monitorFlags()],
  ['gen-header', genHeaderFlags()],
];

test("fuzz: every flag's value check, given any text, accepts it or throws one UsageError naming the flag", () => {
  const checked = commands.flatMap(([, specs]) => Object.entries(specs).filter(([, s]) => s.check !== undefined));
  assert.ok(checked.length >= 15, `flags with value checks: ${checked.length}`);
  fc.assert(
    fc.property(fc.constantFrom(...checked), fc.oneof(anyText, lineish, fc.webUrl(), fc.constantFrom('', ':', '[::1]:99999', 'udp://', 'unix:', '=', 'a=b=c', '0x10', '1e309', '-0', 'NaN')), ([flag, spec], text) => {
      onlyThrows([UsageError], () => spec.check?.(flag, text));
    }),
    fuzzRuns(4000),
  );
});

test('fuzz: whole command lines: parsed, or one UsageError', () => {
  const arg = (specs: FlagSpecs): fc.Arbitrary<string> => {
    const names = Object.keys(specs);
    return fc.oneof(
      fc.constantFrom(...names).map((n) => `--${n}`),
      fc.tuple(fc.constantFrom(...names), fc.oneof(lineish, anyText)).map(([n, v]) => `--${n}=${v}`),
      fc.constantFrom('-i', '-h', '-', '--', '-x', '--no-', '--=', '-ii'),
      anyText,
    );
  };
  fc.assert(
    fc.property(
      fc.constantFrom(...commands).chain(([cmd, specs]) => fc.tuple(fc.constant(cmd), fc.constant(specs), fc.array(arg(specs), { maxLength: 6 }))),
      ([cmd, specs, args]) => onlyThrows([UsageError], () => parseCommandArgs(cmd, args, specs)),
    ),
    fuzzRuns(2000),
  );
});
