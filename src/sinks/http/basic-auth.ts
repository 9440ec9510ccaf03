/**
 * HTTP basic authentication against the web config's `basic_auth_users` (bcrypt hashes), checked with
 * bcryptjs. bcrypt is slow on purpose (about 0.2 s at cost 10 in pure JS), so, as in the exporter toolkit,
 * outcomes are cached by a SHA-256 of user, hash and password: Prometheus sends the same credentials every
 * scrape and pays the cost once. Concurrent checks of the same credentials share one computation.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** Outcomes kept; past this the oldest are forgotten (an attacker's guesses cannot grow memory). */
const CACHE_SIZE = 1024;

export class BasicAuth {
  private readonly users: ReadonlyMap<string, string>;
  private readonly cache = new Map<string, boolean>();
  private readonly pending = new Map<string, Promise<boolean>>();
  /** Compared against for an unknown user, so the answer takes as long as for a known one. */
  private dummy: string | undefined;

  constructor(users: ReadonlyMap<string, string>) {
    this.users = users;
  }

  /** True when the config has users, so every request must authenticate. */
  get required(): boolean {
    return this.users.size > 0;
  }

  /** The cached outcome for an Authorization header, or undefined when it has to be computed (`check`). */
  cached(authorization: string | undefined): boolean | undefined {
    const c = this.credentials(authorization);
    return c === undefined ? false : this.cache.get(c.key);
  }

  /** Whether the Authorization header names a user with the right password. */
  async check(authorization: string | undefined): Promise<boolean> {
    const c = this.credentials(authorization);
    if (c === undefined) return false;
    const hit = this.cache.get(c.key);
    if (hit !== undefined) return hit;
    let p = this.pending.get(c.key);
    if (p === undefined) {
      const hash = this.users.get(c.user);
      p = hash === undefined ? this.againstDummy(c.password) : bcrypt.compare(c.password, hash);
      this.pending.set(c.key, p);
    }
    try {
      const ok = await p;
      this.remember(c.key, ok);
      return ok;
    } finally {
      this.pending.delete(c.key);
    }
  }

  private credentials(authorization: string | undefined): { user: string; password: string; key: string } | undefined {
    const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization ?? '');
    if (m === null) return undefined;
    const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return undefined;
    const user = text.slice(0, colon);
    const password = text.slice(colon + 1);
    const key = createHash('sha256').update(user).update('\0').update(this.users.get(user) ?? '').update('\0').update(password).digest('base64');
    return { user, password, key };
  }

  private async againstDummy(password: string): Promise<boolean> {
    this.dummy ??= await bcrypt.hash('scx-metrics unknown user', 10);
    await bcrypt.compare(password, this.dummy);
    return false;
  }

  private remember(key: string, ok: boolean): void {
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, ok);
  }
}
