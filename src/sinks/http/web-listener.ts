/**
 * The listening server for the web config's TLS part: plain node:http, or node:https with the certificate,
 * versions, suites and client-certificate policy of `tls_server_config`. A reloaded config swaps the secure
 * context in place (`setSecureContext`), so a rotated certificate is served to new connections without a
 * restart; switching TLS on or off needs a new listener and is refused on reload.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { WebTlsConfig } from './web-config.js';
import { clientCertAccepted, tlsOptionsFor, type ClientAuthType } from './tls-settings.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The verify flags node:tls reads from the server for each new connection (set by its constructor). */
interface VerifyFlags {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export class WebListener {
  readonly server: Server;
  private clientAuth: ClientAuthType | undefined;

  /**
   * `onTlsError`: a connection that failed its TLS handshake (plain HTTP to the TLS port, an unknown CA, a
   * missing client certificate) or whose certificate the policy refused; it is closed without an answer.
   */
  constructor(tls: WebTlsConfig | undefined, http: ServerOptions & { headersTimeout: number }, handler: Handler, onTlsError: (err: Error) => void) {
    if (tls === undefined) {
      this.server = createHttpServer(http, handler);
      return;
    }
    this.clientAuth = tls.clientAuth;
    // A slow handshake is held to the same bound as slow headers.
    const server = createHttpsServer({ ...http, ...tlsOptionsFor(tls).options, handshakeTimeout: http.headersTimeout }, handler);
    server.on('tlsClientError', (err: Error) => onTlsError(err));
    server.on('secureConnection', (socket: TLSSocket) => {
      const presented = Object.keys(socket.getPeerCertificate()).length > 0;
      if (!clientCertAccepted(this.clientAuth ?? 'NoClientCert', presented, socket.authorized)) {
        onTlsError(new Error(`client certificate refused by client_auth_type ${this.clientAuth}: ${presented ? String(socket.authorizationError) : 'none given'}`));
        socket.destroy();
      }
    });
    this.server = server;
  }

  get tls(): boolean {
    return this.clientAuth !== undefined;
  }

  /** Applies a reloaded TLS config to new connections; throws, changing nothing, when it turns TLS on or off. */
  applyTls(tls: WebTlsConfig | undefined): void {
    if ((tls === undefined) !== !this.tls) {
      throw new Error(`tls_server_config: switching TLS ${tls === undefined ? 'off' : 'on'} needs a restart; keeping the running config`);
    }
    if (tls === undefined) return;
    const { options } = tlsOptionsFor(tls);
    const server = this.server as Server & { setSecureContext(o: object): void } & VerifyFlags;
    server.setSecureContext(options);
    server.requestCert = options.requestCert;
    server.rejectUnauthorized = options.rejectUnauthorized;
    this.clientAuth = tls.clientAuth;
  }
}
