/**
 * Reads another Node process's memory through its inspector (the process is started with
 * `--inspect=127.0.0.1:0`): a full garbage collection first, then process.memoryUsage(). That way heap
 * figures are live objects only, not whatever garbage the last collection left, and no product code
 * has to expose anything for the benchmark.
 */
import WebSocket from 'ws';

export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { res: (v: any) => void; rej: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.rej(new Error(`inspector: ${msg.error.message}`));
      else p.res(msg.result);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.rej(new Error('inspector connection closed'));
      this.pending.clear();
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    return new Inspector(ws);
  }

  call<T = any>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((res, rej) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        rej(new Error(`inspector: ${method} took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { res: (v) => { clearTimeout(t); res(v); }, rej: (e) => { clearTimeout(t); rej(e); } });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full GC, then the process's memory. */
  async memory(): Promise<MemoryUsage> {
    await this.call('HeapProfiler.collectGarbage');
    const r = await this.call<{ result: { value: string } }>('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    return JSON.parse(r.result.value) as MemoryUsage;
  }

  close(): void {
    this.ws.close();
  }
}

/** The inspector URL a process started with --inspect prints on stderr. */
export function inspectorUrl(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
}
