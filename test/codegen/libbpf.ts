/**
 * The few libbpf calls the generated-header test needs to load a clang-built object (libbpf.so.1 from
 * Debian's libbpf1, through koffi): open, load, attach every program, find a map's fd, detach, close.
 * libbpf 1.x returns NULL (pointers) or -errno (ints) on failure and sets errno.
 */
import koffi from 'koffi';

interface Lib {
  open(path: string, opts: null): unknown;
  load(obj: unknown): number;
  nextProgram(obj: unknown, prev: unknown): unknown;
  programName(prog: unknown): string;
  programFd(prog: unknown): number;
  attach(prog: unknown): unknown;
  destroyLink(link: unknown): number;
  findMap(obj: unknown, name: string): unknown;
  mapFd(map: unknown): number;
  close(obj: unknown): void;
}

let cached: Lib | undefined;
function lib(): Lib {
  if (cached !== undefined) return cached;
  const l = koffi.load('libbpf.so.1');
  const f = {
    open: l.func('void *bpf_object__open_file(const char *path, const void *opts)'),
    load: l.func('int bpf_object__load(void *obj)'),
    nextProgram: l.func('void *bpf_object__next_program(void *obj, void *prev)'),
    programName: l.func('const char *bpf_program__name(void *prog)'),
    programFd: l.func('int bpf_program__fd(void *prog)'),
    attach: l.func('void *bpf_program__attach(void *prog)'),
    destroyLink: l.func('int bpf_link__destroy(void *link)'),
    findMap: l.func('void *bpf_object__find_map_by_name(void *obj, const char *name)'),
    mapFd: l.func('int bpf_map__fd(void *map)'),
    close: l.func('void bpf_object__close(void *obj)'),
  };
  cached = {
    open: (path, opts) => f.open(path, opts) as unknown,
    load: (obj) => f.load(obj) as number,
    nextProgram: (obj, prev) => f.nextProgram(obj, prev) as unknown,
    programName: (prog) => f.programName(prog) as string,
    programFd: (prog) => f.programFd(prog) as number,
    attach: (prog) => f.attach(prog) as unknown,
    destroyLink: (link) => f.destroyLink(link) as number,
    findMap: (obj, name) => f.findMap(obj, name) as unknown,
    mapFd: (map) => f.mapFd(map) as number,
    close: (obj) => {
      f.close(obj);
    },
  };
  return cached;
}

const isNull = (p: unknown): boolean => p === null || koffi.address(p) === 0n;

/** A loaded and attached BPF object. */
export class LoadedObject {
  private obj: unknown;
  private links: unknown[] = [];
  /** The programs attached, in object order. */
  readonly programs: string[] = [];
  /** Every program's fd (owned by the object), attached or not. */
  private readonly fds = new Map<string, number>();

  /** Loads the object and attaches every program except those named in `noAttach` (run them by test run). */
  constructor(path: string, opts: { noAttach?: readonly string[] } = {}) {
    const l = lib();
    const obj = l.open(path, null);
    if (isNull(obj)) throw new Error(`bpf_object__open_file(${path}) failed: errno ${koffi.errno()}`);
    this.obj = obj;
    const r = l.load(obj);
    if (r !== 0) {
      l.close(obj);
      throw new Error(`bpf_object__load(${path}) failed: ${r} (libbpf printed the verifier log on stderr)`);
    }
    try {
      for (let p = l.nextProgram(obj, null); !isNull(p); p = l.nextProgram(obj, p)) {
        this.fds.set(l.programName(p), l.programFd(p));
        if (opts.noAttach?.includes(l.programName(p)) === true) continue;
        const link = l.attach(p);
        if (isNull(link)) throw new Error(`bpf_program__attach(${l.programName(p)}) failed: errno ${koffi.errno()}`);
        this.links.push(link);
        this.programs.push(l.programName(p));
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** The fd of a map by its name in the object (owned by the object: do not close it). */
  mapFd(name: string): number {
    const m = lib().findMap(this.obj, name);
    if (isNull(m)) throw new Error(`no map "${name}" in the object`);
    return lib().mapFd(m);
  }

  /** A program's fd by name (owned by the object: do not close it). */
  programFd(name: string): number {
    const fd = this.fds.get(name);
    if (fd === undefined) throw new Error(`no program "${name}" in the object`);
    return fd;
  }

  /** Detaches every program: counting stops; maps stay. */
  detach(): void {
    for (const link of this.links) lib().destroyLink(link);
    this.links = [];
  }

  close(): void {
    this.detach();
    if (this.obj !== undefined) lib().close(this.obj);
    this.obj = undefined;
  }
}
