/**
 * The web config's TLS settings in Go's names (crypto/tls, as the exporter toolkit spells them) and their
 * translation to Node's TLS server options. Node takes OpenSSL names, so each Go cipher suite maps to its
 * OpenSSL name; a suite this Node's OpenSSL does not have (RC4, and 3DES on most builds) is an error naming it.
 */
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/** The toolkit's `client_auth_type` values, Go's tls.ClientAuthType names. */
export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'RequireClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** `min_version` / `max_version` names, ordered. */
export const TLS_VERSIONS = { TLS10: 0, TLS11: 1, TLS12: 2, TLS13: 3 } as const;
export type TlsVersionName = keyof typeof TLS_VERSIONS;
const NODE_VERSION: Readonly<Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** Go's cipher suite names (tls.CipherSuites and tls.InsecureCipherSuites) -> OpenSSL's. */
const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  // TLS 1.3 suites have the same name in both; Go ignores them in cipher_suites, Node applies them.
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};

/** Go's curve names (`curve_preferences`) -> OpenSSL's. */
const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** What the web config says about TLS, beyond the certificate and key. */
export interface TlsSettings {
  readonly clientAuth: ClientAuthType;
  readonly minVersion: TlsVersionName;
  readonly maxVersion: TlsVersionName;
  /** Go names; undefined: Node's defaults. */
  readonly cipherSuites?: readonly string[];
  /** Go names; undefined: Node's defaults. */
  readonly curves?: readonly string[];
  readonly preferServerCipherSuites: boolean;
}

/** The Node options for a TLS server, or the field (under tls_server_config) that Node cannot do. */
export interface NodeTls {
  readonly options: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
  readonly problem?: { field: string; message: string };
}

export function tlsOptionsFor(s: TlsSettings & { cert: Buffer; key: Buffer; ca?: Buffer }): NodeTls {
  const options: NodeTls['options'] = {
    cert: s.cert,
    key: s.key,
    ca: s.ca,
    minVersion: NODE_VERSION[s.minVersion],
    maxVersion: NODE_VERSION[s.maxVersion],
    honorCipherOrder: s.preferServerCipherSuites,
    // Go's modes, as far as OpenSSL verifies: only RequireAndVerifyClientCert makes Node refuse the handshake
    // itself; the other modes that ask for a certificate are checked by the listener after the handshake.
    requestCert: s.clientAuth !== 'NoClientCert',
    rejectUnauthorized: s.clientAuth === 'RequireAndVerifyClientCert',
  };
  if (s.cipherSuites !== undefined) {
    const names: string[] = [];
    for (const [i, go] of s.cipherSuites.entries()) {
      const ossl = CIPHER_SUITES[go];
      const field = `cipher_suites[${i}]`;
      if (ossl === undefined) return { options, problem: { field, message: `"${go}" is not a Go cipher suite name (e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)` } };
      if (!works({ ciphers: ossl })) return { options, problem: { field, message: `${go} (OpenSSL ${ossl}) is not available in this Node's OpenSSL` } };
      names.push(ossl);
    }
    options.ciphers = names.join(':');
  }
  if (s.curves !== undefined) {
    const names: string[] = [];
    for (const [i, go] of s.curves.entries()) {
      const ossl = CURVES[go];
      const field = `curve_preferences[${i}]`;
      if (ossl === undefined) return { options, problem: { field, message: `"${go}" is not one of ${Object.keys(CURVES).join(', ')}` } };
      if (!works({ ecdhCurve: ossl })) return { options, problem: { field, message: `${go} is not available in this Node's OpenSSL` } };
      names.push(ossl);
    }
    options.ecdhCurve = names.join(':');
  }
  return { options };
}

function works(o: SecureContextOptions): boolean {
  try {
    createSecureContext(o);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a connection that finished its handshake meets `clientAuth` where OpenSSL alone does not check it:
 * RequireAnyClientCert wants some certificate, VerifyClientCertIfGiven a valid one if any is given.
 */
export function clientCertAccepted(clientAuth: ClientAuthType, presented: boolean, verified: boolean): boolean {
  switch (clientAuth) {
    case 'RequireAnyClientCert':
    case 'RequireClientCert':
      return presented;
    case 'VerifyClientCertIfGiven':
      return !presented || verified;
    case 'RequireAndVerifyClientCert':
      return presented && verified;
    default:
      return true;
  }
}
