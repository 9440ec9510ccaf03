/**
 * A private apt state for Debian unstable: the machine's own Debian mirror (the URI of its existing Debian
 * source, so no host is named here), suite `sid`, with its own sources file, lists and cache under the
 * harness's cache. Nothing is installed and the host's apt setup is never changed: packages are only
 * downloaded and unpacked with `dpkg-deb -x`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from './step.js';

/** The URI of the host's main Debian source (deb822 `.sources` files first, then one-line `.list` files). */
export function hostDebianUri(etc = '/etc/apt'): string | undefined {
  const files: string[] = [];
  const parts = join(etc, 'sources.list.d');
  if (existsSync(parts)) for (const f of readdirSync(parts).sort()) if (f.endsWith('.sources') || f.endsWith('.list')) files.push(join(parts, f));
  if (existsSync(join(etc, 'sources.list'))) files.push(join(etc, 'sources.list'));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const uris = f.endsWith('.sources') ? deb822Uris(text) : oneLineUris(text);
    const uri = uris.find((u) => isDebianArchive(u));
    if (uri !== undefined) return uri.replace(/\/+$/, '');
  }
  return undefined;
}

/** A Debian archive (not its security or ports archives): its path ends in `/debian`. */
function isDebianArchive(uri: string): boolean {
  return /^(https?|file):\/\/\S+\/debian\/?$/.test(uri);
}

function deb822Uris(text: string): string[] {
  const out: string[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    if (!/^Types:.*\bdeb\b/m.test(stanza) || /^Enabled:\s*no/im.test(stanza)) continue;
    const m = /^URIs:\s*(.+)$/m.exec(stanza);
    if (m !== null) out.push(...(m[1] as string).trim().split(/\s+/));
  }
  return out;
}

function oneLineUris(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (m !== null) out.push(m[1] as string);
  }
  return out;
}

/** apt-get and apt-cache pointed at a private state under `dir`. */
export class PrivateApt {
  private readonly opts: string[];

  constructor(
    readonly dir: string,
    readonly uri: string,
    readonly suite = 'sid',
  ) {
    for (const d of ['lists/partial', 'cache/archives/partial', 'etc']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'etc/sources.list'), `deb ${uri} ${suite} main\n`);
    this.opts = [
      '-o', `Dir::Etc::sourcelist=${join(dir, 'etc/sources.list')}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
      '-o', `Dir::Cache=${join(dir, 'cache')}`,
      '-o', 'APT::Sandbox::User=root',
    ];
  }

  async update(step: Step): Promise<void> {
    await step.run('apt-get', [...this.opts, '-q', 'update']);
  }

  /** `apt-cache show PKG`'s first stanza's field, or undefined when the package is unknown. */
  async field(step: Step, pkg: string, field: string): Promise<string | undefined> {
    let text: string;
    try {
      text = await step.run('apt-cache', [...this.opts, 'show', pkg]);
    } catch {
      return undefined;
    }
    const first = text.split(/\n\s*\n/)[0] ?? '';
    const m = new RegExp(`^${field}:\\s*(.+)$`, 'm').exec(first);
    return m === null ? undefined : (m[1] as string).trim();
  }

  /** Downloads the packages' .deb files into `into`. */
  async download(step: Step, into: string, pkgs: readonly string[]): Promise<void> {
    mkdirSync(into, { recursive: true });
    await step.run('apt-get', [...this.opts, '-q', 'download', ...pkgs], { cwd: into });
  }
}
