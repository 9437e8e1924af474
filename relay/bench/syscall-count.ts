// Counts a running process's system calls over a window with `strace -c` (attached by
// PID, all threads): how many socket writes a login costs, which no CPU profile shows.
// strace slows the traced process several times over, so a run that counts calls says
// nothing about its CPU time or throughput.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class SyscallCount {
  private constructor(
    private readonly child: ChildProcess,
    private readonly out: string,
  ) {}

  /** Starts counting `calls` of process `pid`; resolves once strace is attached. */
  static async attach(pid: number, calls: string[]): Promise<SyscallCount> {
    const out = join(tmpdir(), `parley-strace-${pid}-${Date.now()}.txt`);
    const child = spawn('strace', ['-f', '-c', '-e', `trace=${calls.join(',')}`, '-o', out, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`strace exited (${code}); is it installed and allowed to attach?`)));
      child.stderr!.on('data', (d: Buffer) => {
        if (/attached/i.test(d.toString())) resolve();
      });
    });
    return new SyscallCount(child, out);
  }

  /** Detaches and returns the number of calls of each traced system call. */
  async stop(): Promise<Record<string, number>> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGINT');
    await exited;
    const text = await readFile(this.out, 'utf8');
    await rm(this.out, { force: true });
    const counts: Record<string, number> = {};
    // "% time     seconds  usecs/call     calls    errors syscall" rows
    for (const line of text.split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/.exec(line);
      if (m && m[2] !== 'total') counts[m[2]] = Number(m[1]);
    }
    return counts;
  }
}
