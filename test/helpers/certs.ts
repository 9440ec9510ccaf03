/**
 * Test certificates made by the real openssl command: a CA, server certificates for 127.0.0.1/localhost
 * signed by it, and client certificates (one signed by the CA, one self-signed). EC P-256 keys keep it fast.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from './peers.js';

export const OPENSSL = '/usr/bin/openssl';
export const hasOpenssl = (): boolean => hasCommand(OPENSSL, ['version']);

export interface CertDir {
  readonly dir: string;
  /** Makes `<name>.crt` and `<name>.key`, signed by the CA unless `selfSigned`; returns their paths. */
  issue(name: string, opts?: { cn?: string; client?: boolean; selfSigned?: boolean }): { cert: string; key: string };
  /** ca.crt, the CA's certificate. */
  readonly ca: string;
  read(file: string): Buffer;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCerts(): CertDir {
  const dir = mkdtempSync(join(tmpdir(), 'scx-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=scx-metrics test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    issue(name, opts = {}) {
      const cn = opts.cn ?? name;
      const ext = opts.client === true ? 'extendedKeyUsage=clientAuth' : 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth';
      writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
      if (opts.selfSigned === true) {
        openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`], dir);
      } else {
        openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
        openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
      }
      return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    },
    read: (file) => readFileSync(file),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
