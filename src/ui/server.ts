import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, NetlabError } from '../errors.js';
import { printable } from '../printable.js';
import { UI_PATH } from '../runtime-path.js';
import type { Lab } from '../lab/types.js';
import { labStatuses, type LabStatus } from '../lifecycle/status.js';
import { traceRunningLab, type TraceRequest } from '../lifecycle/trace-lab.js';
import { readState } from '../state/store.js';
import { stateFile } from '../state/paths.js';
import { testEventsFile } from '../state/test-events.js';
import { admit, hostsFor, TOKEN_COOKIE, type Route } from './guard.js';
import { boxesOfHops } from './hops.js';
import { picture, type Picture } from './picture.js';

export interface UiOptions {
  lab: string;
  listen: string;
  port: number;
  token: string;
  /** The trace the page asks for, from its words, checked as the CLI checks `netlab trace`'s (throws UsageError). */
  traceRequest: (query: URLSearchParams) => TraceRequest;
  /** How often the lab is read while a page is open (status: drift, BGP sessions). */
  pollMs?: number;
}

/** What the page is sent whenever it changes: the lab's status and its picture, or that it is not up. */
interface Snapshot {
  lab: string;
  at: string;
  up: boolean;
  message?: string;
  status?: LabStatus;
  picture?: Picture;
}

const STATIC: Partial<Record<Route, { file: string; type: string }>> = {
  page: { file: 'index.html', type: 'text/html; charset=utf-8' },
  script: { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  style: { file: 'app.css', type: 'text/css; charset=utf-8' },
};
/** Pages open at once: each is a stream the server writes to. */
const MAX_CLIENTS = 32;
/** A test run's lines read per tick: a 100,000-case conformance run is followed, not swallowed at once. */
const MAX_EVENT_BYTES = 1 << 20;
/** Lines kept for a page that connects during a run. */
const MAX_EVENT_LINES = 5000;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * `netlab ui`'s server: one page, a stream of snapshots and test events, and
 * traces on request. It reads the lab as `status` and `trace` do and writes
 * nothing: no route of it runs a command of the page's choosing or changes
 * the lab. Resolves once listening, with the port and a way to stop it.
 */
export async function serveUi(options: UiOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const clients = new Set<ServerResponse>();
  const watch = new LabWatch(options.lab, options.pollMs ?? 500, (event, data) => {
    for (const c of clients) c.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  });
  let tracing = false;
  let hosts: string[] | undefined = [];

  const server: Server = createServer((req, res) => {
    void answer(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `netlab ui: ${printable(String((e as Error)?.message ?? e))}\n`);
      else res.end();
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = admit({ method: req.method, url: req.url, host: req.headers.host, cookie: req.headers.cookie }, options.token, hosts);
    if (!verdict.ok) return send(res, verdict.status, 'text/plain; charset=utf-8', verdict.text);
    // The page's own requests carry the token in a cookie, so the URL bar can drop it.
    const cookie: Record<string, string> = verdict.fromUrl ? { 'set-cookie': `${TOKEN_COOKIE}=${options.token}; HttpOnly; SameSite=Strict; Path=/` } : {};
    const file = STATIC[verdict.route];
    if (file) return send(res, 200, file.type, await readFile(join(UI_PATH, file.file)), cookie);
    switch (verdict.route) {
      case 'snapshot':
        return send(res, 200, 'application/json', JSON.stringify(await watch.snapshot()), cookie);
      case 'events': {
        if (clients.size >= MAX_CLIENTS) return send(res, 503, 'text/plain; charset=utf-8', `netlab ui serves ${MAX_CLIENTS} pages at once\n`);
        res.writeHead(200, { ...SECURITY_HEADERS, ...cookie, 'content-type': 'text/event-stream', connection: 'keep-alive' });
        res.write('retry: 1000\n\n');
        clients.add(res);
        req.on('close', () => {
          clients.delete(res);
          if (clients.size === 0) watch.pause();
        });
        watch.greet(res);
        watch.resume();
        return;
      }
      case 'trace': {
        let request: TraceRequest;
        try {
          request = options.traceRequest(verdict.query);
        } catch (e) {
          return send(res, 400, 'application/json', JSON.stringify({ error: (e as Error).message }));
        }
        // One at a time: a trace with --verify captures on every hop, and the page cannot queue a thousand.
        if (tracing) return send(res, 429, 'application/json', JSON.stringify({ error: 'a trace is running; try again when it ends' }));
        tracing = true;
        try {
          const { trace, verification, arrived } = await traceRunningLab(request);
          const snap = await watch.snapshot();
          const boxes = snap.picture ? boxesOfHops(trace.hops, snap.picture, snap.status?.pods ?? []) : trace.hops.map(() => 'fabric');
          const hops = trace.hops.map((h, i) => ({ ...h, box: boxes[i], ...(verification?.seen.has(h.n) ? { seen: verification.seen.get(h.n) } : {}) }));
          const verified = verification ? { traffic: verification.traffic, verdict: verification.verdict ?? null } : undefined;
          return send(res, 200, 'application/json', JSON.stringify({ ...trace, hops, arrived, ...(verified ? { verification: verified } : {}) }));
        } catch (e) {
          if (e instanceof NetlabError) return send(res, 422, 'application/json', JSON.stringify({ error: printable(e.message) }));
          throw e;
        } finally {
          tracing = false;
        }
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.listen, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  hosts = hostsFor(options.listen, port);
  return {
    port,
    close: async () => {
      watch.pause();
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': type });
  res.end(body);
}

/**
 * Reads the lab while a page is open: its status (the same reading as
 * `netlab status`: drift, BGP sessions) every poll, sent when it changed,
 * and the test run's new lines as they are written.
 */
class LabWatch {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private last: Snapshot | undefined;
  private lastJson = '';
  /** The last snapshot but its time: a new one is sent only when the lab changed. */
  private lastJsonWithoutTime = '';
  private lab: { mtime: number; lab: Lab } | undefined;
  private events = { size: 0, lines: [] as string[], partial: '' };

  constructor(
    private readonly name: string,
    private readonly pollMs: number,
    private readonly emit: (event: string, data: unknown) => void,
  ) {}

  /** A page that just connected gets the last snapshot and the run so far. */
  greet(res: ServerResponse): void {
    if (this.last) res.write(`event: snapshot\ndata: ${this.lastJson}\n\n`);
    for (const line of this.events.lines) res.write(`event: test\ndata: ${line}\n\n`);
  }

  resume(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  pause(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async snapshot(): Promise<Snapshot> {
    return this.last ?? (await this.read());
  }

  private async tick(): Promise<void> {
    const started = performance.now();
    try {
      await this.read();
      await this.followTests();
    } catch (e) {
      this.emit('problem', { message: printable(String((e as Error)?.message ?? e)) });
    }
    if (!this.running) return;
    // A big lab takes longer to read: never more than half the time reading.
    const spent = performance.now() - started;
    this.timer = setTimeout(() => void this.tick(), Math.max(this.pollMs - spent, spent, 100));
  }

  private async read(): Promise<Snapshot> {
    const [status] = await labStatuses(this.name);
    // A lab being taken down has namespaces left but no state: not up, and the first thing status says of it.
    const lab = status ? await this.labFile().catch(() => undefined) : undefined;
    const at = new Date().toISOString();
    const snap: Snapshot =
      status && lab
        ? { lab: this.name, at, up: true, status, picture: picture(lab, status) }
        : { lab: this.name, at, up: false, ...(status?.problems[0] ? { message: status.problems[0] } : {}) };
    const json = JSON.stringify({ ...snap, at: '' });
    if (json !== this.lastJsonWithoutTime) {
      this.lastJsonWithoutTime = json;
      this.last = snap;
      this.lastJson = JSON.stringify(snap);
      this.emit('snapshot', snap);
    }
    return snap;
  }

  /** The lab as its state holds it, read again only when the state file changed. */
  private async labFile(): Promise<Lab> {
    const mtime = (await stat(stateFile(this.name))).mtimeMs;
    if (this.lab?.mtime === mtime) return this.lab.lab;
    const read = await readState(this.name);
    if (read.kind !== 'ok') throw new NetlabError(`lab "${this.name}" has no readable state`, ExitCode.kernel);
    this.lab = { mtime, lab: read.state.lab };
    return this.lab.lab;
  }

  /** New lines of the test run; a file that shrank is a new run, sent from its start. */
  private async followTests(): Promise<void> {
    const file = testEventsFile(this.name);
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size < this.events.size) {
      this.events = { size: 0, lines: [], partial: '' };
      this.emit('test-reset', {});
    }
    if (size === this.events.size) return;
    const handle = await open(file, 'r');
    try {
      const length = Math.min(size - this.events.size, MAX_EVENT_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, this.events.size);
      this.events.size += length;
      const text = this.events.partial + buffer.toString('utf8');
      const lines = text.split('\n');
      this.events.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        // A page that opens late gets the newest lines of a long run, not all of them.
        if (this.events.lines.push(line) > MAX_EVENT_LINES) this.events.lines.splice(0, this.events.lines.length - MAX_EVENT_LINES);
        this.emit('test', JSON.parse(line));
      }
    } finally {
      await handle.close();
    }
  }
}
