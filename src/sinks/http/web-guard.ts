/**
 * The web config's per-request rules, in front of every path the listener serves: the configured response
 * headers on every answer, then basic authentication (401 with `WWW-Authenticate: Basic` when the credentials
 * are missing or wrong). Routes stay in the sink; this only decides whether a request reaches them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BasicAuth } from './basic-auth.js';
import type { WebConfig } from './web-config.js';

export class WebGuard {
  private headers: WebConfig['headers'] = [];
  private auth = new BasicAuth(new Map());

  /** Takes the rules of `config` (undefined: none) for requests from now on. */
  update(config: WebConfig | undefined): void {
    this.headers = config?.headers ?? [];
    this.auth = new BasicAuth(config?.users ?? new Map());
  }

  /** Calls `next` when the request may be served; answers it otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    for (const [name, value] of this.headers) res.setHeader(name, value);
    const auth = this.auth;
    if (!auth.required) {
      next();
      return;
    }
    const header = req.headers.authorization;
    const known = auth.cached(header);
    if (known !== undefined) {
      if (known) next();
      else unauthorized(req, res);
      return;
    }
    auth.check(header).then(
      (ok) => (ok ? next() : unauthorized(req, res)),
      () => unauthorized(req, res),
    );
  }
}

function unauthorized(req: IncomingMessage, res: ServerResponse): void {
  if (res.destroyed) return;
  const body = 'Unauthorized\n';
  // A body the client sent was not read: close rather than parse it as the next request.
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) res.setHeader('Connection', 'close');
  res.writeHead(401, { 'WWW-Authenticate': 'Basic', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
