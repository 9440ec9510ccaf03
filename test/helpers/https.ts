/** A GET over HTTPS with a given CA, optional basic auth and client certificate: what the web config tests ask. */
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The CN of the certificate the server presented. */
  readonly peerCN: string;
}

/** `until`: answer as soon as the body matches it (for a stream that does not end), closing the connection. */
export function httpsGet(port: number, path: string, o: { ca: Buffer; auth?: string; cert?: Buffer; key?: Buffer; until?: RegExp }): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = o.auth === undefined ? {} : { Authorization: `Basic ${Buffer.from(o.auth).toString('base64')}` };
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca: o.ca, cert: o.cert, key: o.key, headers, agent: false }, (res) => {
      const peerCN = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
        if (o.until?.test(body) === true) {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerCN });
          req.destroy();
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerCN }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.end();
  });
}

