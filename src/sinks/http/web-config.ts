/**
 * `--web-config FILE`: the Prometheus exporter toolkit's web configuration (YAML), read and checked into what
 * the listener applies. Field names, defaults and rules follow the toolkit (github.com/prometheus/exporter-toolkit,
 * docs/web-configuration.md), so a file written for node_exporter works here:
 *
 *   tls_server_config: cert_file, key_file, client_ca_file, client_auth_type, min_version, max_version,
 *                      cipher_suites, prefer_server_cipher_suites, curve_preferences
 *   http_server_config: headers (the five security headers the toolkit allows), http2 (accepted; we serve HTTP/1.1)
 *   basic_auth_users: user name -> bcrypt hash
 *
 * Relative file names are relative to the config file's folder. Every problem is one WebConfigError naming the
 * field and what was expected; unknown fields are errors, as in the toolkit (it reads the file strictly).
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { tlsOptionsFor, type ClientAuthType, type TlsSettings, CLIENT_AUTH_TYPES, TLS_VERSIONS, type TlsVersionName } from './tls-settings.js';

/** A problem in the web config: the message names the file, the field and what was expected. */
export class WebConfigError extends Error {
  override readonly name = 'WebConfigError';
}

/** The headers the toolkit lets a config set, with the values it allows (undefined: any value). */
const ALLOWED_HEADERS: ReadonlyMap<string, readonly string[] | undefined> = new Map([
  ['strict-transport-security', undefined],
  ['x-content-type-options', ['nosniff']],
  ['x-frame-options', ['deny', 'sameorigin']],
  ['x-xss-protection', undefined],
  ['content-security-policy', undefined],
]);

/** The TLS part, with the files already read. */
export interface WebTlsConfig extends TlsSettings {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

/** A checked web config, ready to apply. */
export interface WebConfig {
  /** Undefined: plain HTTP. */
  readonly tls?: WebTlsConfig;
  /** User name -> bcrypt hash; empty: no authentication. */
  readonly users: ReadonlyMap<string, string>;
  /** Extra response headers, as [name, value]. */
  readonly headers: readonly (readonly [string, string])[];
  /** The files it was read from (the config first), to watch for changes. */
  readonly files: readonly string[];
  /** A digest of the config and every file it names: equal digests, nothing to reload. */
  readonly digest: string;
}

type Obj = Record<string, unknown>;

/** Reads and checks `path`; throws WebConfigError. */
export function loadWebConfig(path: string): WebConfig {
  const text = readText(path, path, 'the web config file');
  return parseWebConfig(text, path);
}

/** Checks config `text`; `path` names it in errors and anchors relative file names. Throws WebConfigError. */
export function parseWebConfig(text: string, path: string): WebConfig {
  const fail = (field: string, what: string): never => {
    throw new WebConfigError(`web config ${path}: ${field}: ${what}`);
  };
  // logLevel error: what yaml would warn about (a mapping used as a key) is not printed; it fails below as an unknown field.
  const doc = parseDocument(text, { uniqueKeys: true, logLevel: 'error' });
  const bad = doc.errors[0];
  if (bad !== undefined) {
    const at = bad.linePos?.[0];
    const why = (bad.message.split('\n')[0] ?? bad.code).replace(/ at line \d+, column \d+:?$/, '');
    fail(at === undefined ? 'YAML' : `line ${at.line} column ${at.col}`, `not valid YAML (${why})`);
  }
  let root: unknown;
  try {
    // toJS resolves aliases: one to an anchor never set, or so many that they expand without bound (a
    // "billion laughs" file; yaml stops at maxAliasCount), throws here rather than in parsing.
    root = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    fail('YAML', `cannot be resolved (${(err as Error).message})`);
  }
  const top = object(root, '(top level)', fail);
  known(top, '', ['tls_server_config', 'http_server_config', 'basic_auth_users'], fail);
  const dir = dirname(resolve(path));
  const files = [resolve(path)];
  const hash = createHash('sha256').update(text);

  let tls: WebTlsConfig | undefined;
  if (top.tls_server_config !== undefined && top.tls_server_config !== null) {
    const t = object(top.tls_server_config, 'tls_server_config', fail);
    known(t, 'tls_server_config.', ['cert_file', 'key_file', 'client_ca_file', 'client_auth_type', 'min_version', 'max_version', 'cipher_suites', 'prefer_server_cipher_suites', 'curve_preferences'], fail);
    const certFile = optString(t.cert_file, 'tls_server_config.cert_file', fail);
    const keyFile = optString(t.key_file, 'tls_server_config.key_file', fail);
    // As in the toolkit: neither file means no TLS; one without the other is an error.
    if (certFile !== undefined || keyFile !== undefined) {
      if (certFile === undefined) fail('tls_server_config.cert_file', 'missing; key_file needs its certificate');
      if (keyFile === undefined) fail('tls_server_config.key_file', 'missing; cert_file needs its private key');
      const read = (file: string, field: string): Buffer => {
        const full = resolve(dir, file);
        files.push(full);
        const b = readBytes(full, path, field);
        hash.update(`\0${full}\0`).update(b);
        return b;
      };
      const cert = read(certFile as string, 'tls_server_config.cert_file');
      const key = read(keyFile as string, 'tls_server_config.key_file');
      const caFile = optString(t.client_ca_file, 'tls_server_config.client_ca_file', fail);
      const ca = caFile === undefined ? undefined : read(caFile, 'tls_server_config.client_ca_file');
      const clientAuth = (optString(t.client_auth_type, 'tls_server_config.client_auth_type', fail) ?? 'NoClientCert') as ClientAuthType;
      if (!(CLIENT_AUTH_TYPES as readonly string[]).includes(clientAuth)) fail('tls_server_config.client_auth_type', `"${clientAuth}" is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
      if (ca !== undefined && clientAuth === 'NoClientCert') fail('tls_server_config.client_ca_file', 'set without a client_auth_type that asks for client certificates (e.g. RequireAndVerifyClientCert)');
      const version = (v: unknown, field: string, dflt: TlsVersionName): TlsVersionName => {
        const s = optString(v, field, fail) ?? dflt;
        if (!(s in TLS_VERSIONS)) fail(field, `"${s}" is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
        return s as TlsVersionName;
      };
      const minVersion = version(t.min_version, 'tls_server_config.min_version', 'TLS12');
      const maxVersion = version(t.max_version, 'tls_server_config.max_version', 'TLS13');
      if (TLS_VERSIONS[minVersion] > TLS_VERSIONS[maxVersion]) fail('tls_server_config.max_version', `${maxVersion} is below min_version ${minVersion}`);
      const cipherSuites = optStrings(t.cipher_suites, 'tls_server_config.cipher_suites', fail);
      const curves = optStrings(t.curve_preferences, 'tls_server_config.curve_preferences', fail);
      const prefer = t.prefer_server_cipher_suites;
      if (prefer !== undefined && prefer !== null && typeof prefer !== 'boolean') fail('tls_server_config.prefer_server_cipher_suites', 'expected true or false');
      checkKeyPair(cert, key, ca, fail);
      const settings: TlsSettings = { clientAuth, minVersion, maxVersion, cipherSuites, curves, preferServerCipherSuites: prefer !== false };
      // Builds the Node options once here so a suite or curve Node's OpenSSL lacks is reported at load.
      const problem = tlsOptionsFor({ ...settings, cert, key, ca }).problem;
      if (problem !== undefined) fail(`tls_server_config.${problem.field}`, problem.message);
      tls = { ...settings, cert, key, ca };
    }
  }

  const headers: [string, string][] = [];
  if (top.http_server_config !== undefined && top.http_server_config !== null) {
    const h = object(top.http_server_config, 'http_server_config', fail);
    known(h, 'http_server_config.', ['headers', 'http2'], fail);
    // HTTP/2 is not served (scrapes use HTTP/1.1); the field is accepted so toolkit files load unchanged.
    if (h.http2 !== undefined && h.http2 !== null && typeof h.http2 !== 'boolean') fail('http_server_config.http2', 'expected true or false');
    if (h.headers !== undefined && h.headers !== null) {
      for (const [name, value] of Object.entries(object(h.headers, 'http_server_config.headers', fail))) {
        const field = `http_server_config.headers.${name}`;
        const allowed = ALLOWED_HEADERS.get(name.toLowerCase());
        if (!ALLOWED_HEADERS.has(name.toLowerCase())) fail(field, `this header cannot be configured; expected one of Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy`);
        if (typeof value !== 'string') fail(field, 'expected a string value');
        const v = value as string;
        if (/[\r\n\0]/.test(v)) fail(field, 'a header value cannot hold line breaks');
        if (allowed !== undefined && !allowed.includes(v.toLowerCase())) fail(field, `"${v}" is not one of ${allowed.join(', ')}`);
        headers.push([name, v]);
      }
    }
  }

  const users = new Map<string, string>();
  if (top.basic_auth_users !== undefined && top.basic_auth_users !== null) {
    for (const [user, hashText] of Object.entries(object(top.basic_auth_users, 'basic_auth_users', fail))) {
      const field = `basic_auth_users.${user}`;
      if (user.includes(':')) fail(field, 'a user name cannot hold ":" (basic auth splits on it)');
      if (typeof hashText !== 'string' || !/^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/.test(hashText)) {
        fail(field, 'expected a bcrypt hash ($2y$10$... 60 characters, e.g. from `htpasswd -nbBC 10 "" PASSWORD | tr -d ":"`)');
      }
      users.set(user, hashText as string);
    }
  }
  return { tls, users, headers, files, digest: hash.digest('hex') };
}

/** The certificate, key and CA parse, and the key belongs to the certificate. */
function checkKeyPair(cert: Buffer, key: Buffer, ca: Buffer | undefined, fail: (field: string, what: string) => never): void {
  let x509: X509Certificate | undefined;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    fail('tls_server_config.cert_file', `not a PEM certificate (${(err as Error).message})`);
  }
  let pk: ReturnType<typeof createPrivateKey> | undefined;
  try {
    pk = createPrivateKey(key);
  } catch (err) {
    fail('tls_server_config.key_file', `not a PEM private key (${(err as Error).message})`);
  }
  if (x509 !== undefined && pk !== undefined && !x509.checkPrivateKey(pk)) fail('tls_server_config.key_file', 'does not match the certificate in cert_file');
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      fail('tls_server_config.client_ca_file', `not a PEM certificate (${(err as Error).message})`);
    }
  }
}

function readBytes(file: string, configPath: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new WebConfigError(`web config ${configPath}: ${field}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readText(file: string, configPath: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebConfigError(`web config ${configPath}: cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function object(v: unknown, field: string, fail: (field: string, what: string) => never): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'expected a mapping (key: value lines)');
  return v as Obj;
}

function known(o: Obj, prefix: string, fields: readonly string[], fail: (field: string, what: string) => never): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) fail(`${prefix}${k}`, `unknown field; expected one of ${fields.join(', ')}`);
}

function optString(v: unknown, field: string, fail: (field: string, what: string) => never): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail(field, 'expected a string');
  return v;
}

function optStrings(v: unknown, field: string, fail: (field: string, what: string) => never): readonly string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(field, 'expected a list of names');
  return v as string[];
}
