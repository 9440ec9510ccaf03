/**
 * Real datagram receivers for push-sink tests: a UDP socket in this process, and a UNIX datagram socket served
 * by a python3 subprocess (an implementation independent of the koffi sender under test). The python peer can
 * be killed (leaving its socket file: senders see ECONNREFUSED), its file removed (ENOENT), paused with
 * SIGSTOP so its receive queue fills (EAGAIN), and started again on the same path.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { waitFor } from './cli.js';

export interface UdpReceiver {
  readonly port: number;
  readonly datagrams: Buffer[];
  /** Every received line, in order. */
  lines(): string[];
  close(): Promise<void>;
}

export async function udpReceiver(port = 0): Promise<UdpReceiver> {
  const sock = dgram.createSocket('udp4');
  const datagrams: Buffer[] = [];
  sock.on('message', (m) => datagrams.push(m));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => resolve());
  });
  return {
    port: sock.address().port,
    datagrams,
    lines: () => datagrams.flatMap((d) => d.toString('latin1').split('\n')),
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}

/** A port that was free a moment ago (for peers that cannot bind port 0 and report it, like the StatsD daemon). */
export async function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const r = await udpReceiver();
    const port = r.port;
    await r.close();
    return port;
  }
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const PY_RECEIVER = `
import json, os, socket, sys
path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("ready", flush=True)
while True:
    d = s.recv(262144)
    sys.stdout.write(json.dumps(d.decode("latin1")) + "\\n")
    sys.stdout.flush()
`;

export interface UnixReceiver {
  readonly path: string;
  /** Datagrams received so far by every incarnation, in order. */
  readonly datagrams: string[];
  lines(): string[];
  /** Kills the receiver with SIGKILL: its socket file stays, so senders see ECONNREFUSED. */
  kill(): Promise<void>;
  /** Stops reading (SIGSTOP) so the kernel queue fills; `resume()` continues. */
  pause(): void;
  resume(): void;
  /** Starts a new receiver on the same path (after `kill`). */
  restart(): Promise<void>;
}

export async function unixReceiver(path: string): Promise<UnixReceiver> {
  const datagrams: string[] = [];
  let child: ChildProcessWithoutNullStreams | undefined;
  const start = async (): Promise<void> => {
    const c = spawn('python3', ['-c', PY_RECEIVER, path]);
    child = c;
    let ready = false;
    let buf = '';
    let stderr = '';
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') ready = true;
        else datagrams.push(JSON.parse(line) as string);
      }
    });
    let exited = false;
    c.once('exit', () => (exited = true));
    await waitFor(() => ready || exited, 10_000, 'the python UNIX datagram receiver');
    if (!ready) throw new Error(`python3 receiver failed: ${stderr}`);
  };
  await start();
  return {
    path,
    datagrams,
    lines: () => datagrams.flatMap((d) => d.split('\n')),
    kill: async () => {
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await gone;
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    restart: start,
  };
}
