// Profiles the relay's main thread over exactly a measured window: the relay runs with
// --inspect on a loopback port, and the bench drives the DevTools protocol's Profiler
// over a WebSocket (start at one mark, stop at another), so startup, seeding and
// shutdown stay out of the profile.
import WebSocket from 'ws';

export class InspectorProfiler {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly listeners = new Map<string, Set<(params: unknown) => void>>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; method?: string; params?: unknown };
      if (m.id !== undefined) this.pending.get(m.id)?.(m.result);
      else if (m.method) for (const l of this.listeners.get(m.method) ?? []) l(m.params);
    });
  }

  /** Listens to a protocol event (e.g. HeapProfiler.addHeapSnapshotChunk); returns the remover. */
  on(method: string, listener: (params: unknown) => void): () => void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  static async connect(url: string, profiler = true): Promise<InspectorProfiler> {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const p = new InspectorProfiler(ws);
    if (profiler) {
      await p.call('Profiler.enable');
      await p.call('Profiler.setSamplingInterval', { interval: 200 });
    }
    return p;
  }

  call(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  start(): Promise<unknown> {
    return this.call('Profiler.start');
  }

  /** Stops and returns the profile (the .cpuprofile format). */
  async stop(): Promise<unknown> {
    return ((await this.call('Profiler.stop')) as { profile: unknown }).profile;
  }

  close(): void {
    this.ws.terminate();
  }
}
