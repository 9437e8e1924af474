// A slow consumer cannot grow the relay's memory without bound. A relay process (so its
// RSS is its own) serves a device that stops reading: its TCP socket is paused.
//  1. Backpressure: a 24 MiB backlog waits for it; the relay stops delivering once the
//     socket buffer passes the high-water mark, and keeps the socket open.
//  2. Disconnect: another device floods it with ephemeral frames (not windowed like
//     deliveries), ~160 MiB in all; once the socket buffer passes its maximum the relay
//     closes it with 4004 (slowConsumer) and drops the rest.
// The relay's RSS is sampled throughout and must stay far below what was pushed at it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_CODES } from '@parley/common/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestAccount, TestSocket, http, newCid, registerUser, sodiumReady } from './support/client.ts';
import { RelayProcess, freePort } from './support/faults-relay.ts';

const MiB = 1024 * 1024;
const MAX_BUFFERED = 8 * MiB;
const HIGH_WATER = 1 * MiB;
const BACKLOG_ENTRIES = 3_000;
const ENTRY_CHARS = 8 * 1024; // 3,000 × 8 KiB ≈ 24 MiB of backlog
const EPH_PER_FRAME = 50; // 50 × 4 KiB ≈ 200 KiB per frame
const EPH_FRAMES = 800; // ≈ 160 MiB of ephemeral frames

let relay: RelayProcess;
let dataDir: string;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  await sodiumReady();
  dataDir = await mkdtemp(join(tmpdir(), 'parley-slow-'));
  relay = new RelayProcess(dataDir, await freePort(), [
    '--device-frames-per-second=0',
    '--address-requests-per-second=0',
    '--sqlite-synchronous=NORMAL',
    `--socket-max-buffered-bytes=${MAX_BUFFERED}`,
    `--socket-high-water-bytes=${HIGH_WATER}`,
  ]);
  await relay.start();
  alice = await registerUser(relay.host, 1);
  bob = await registerUser(relay.host, 1);
}, 30_000);
afterAll(async () => {
  await relay?.kill9();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (n: number) => Math.round((n / MiB) * 10) / 10;

/** Samples the relay's RSS every 50 ms until stopped; returns the peak. */
function sampleRss(): { stop: () => number } {
  let peak = relay.rss();
  const timer = setInterval(() => (peak = Math.max(peak, relay.rss())), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, relay.rss());
    },
  };
}

async function metric(name: string): Promise<number> {
  const text = new TextDecoder().decode((await http(relay.host, 'GET', '/metrics')).bytes);
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

describe('a slow consumer', () => {
  it('meets backpressure, then is disconnected with 4004, while the relay RSS stays bounded', async () => {
    const [a] = alice.devices;
    const [b] = bob.devices;
    const sa = await TestSocket.login(relay.wsUrl, relay.host, a);
    const entryBody = randomBytes((ENTRY_CHARS * 3) / 4).toString('base64url');

    // The backlog, written while bob is offline.
    for (let i = 0; i < BACKLOG_ENTRIES; i += 250) {
      const cids = Array.from({ length: Math.min(250, BACKLOG_ENTRIES - i) }, () => newCid());
      for (const cid of cids) sa.send({ t: 'send', cid, to: [{ d: b.id, b: entryBody }] });
      for (const cid of cids) await sa.next((f) => f.t === 'sent' && f.cid === cid, 15_000);
    }
    await sleep(300);
    const baseline = relay.rss();

    // 1. Bob logs in and stops reading.
    const sb = await TestSocket.login(relay.wsUrl, relay.host, b);
    const tcp = (sb.ws as unknown as { _socket: Socket })._socket;
    tcp.pause();
    const phase1 = sampleRss();
    await sleep(2_000);
    const backpressurePeak = phase1.stop();
    const deliveredWhilePaused = await metric('parley_messages_out_total');
    await sleep(500);
    const deliveredLater = await metric('parley_messages_out_total');
    const stillOpen = sb.ws.readyState === sb.ws.OPEN;

    // 2. Alice floods bob with typing frames while he still does not read.
    const phase2 = sampleRss();
    // Ephemeral bodies are at most 4,096 characters; one frame may carry many.
    const typing = randomBytes(3_072).toString('base64url');
    const frame = JSON.stringify({ t: 'eph', to: Array.from({ length: EPH_PER_FRAME }, () => ({ d: b.id, b: typing })) });
    let pushed = 0;
    for (let i = 0; i < EPH_FRAMES; i++) {
      sa.ws.send(frame);
      pushed += frame.length;
      // Keep the flood from piling up in the test's own socket buffer.
      while (sa.ws.bufferedAmount > 4 * MiB) await sleep(2);
    }
    while (sa.ws.bufferedAmount > 0) await sleep(5);
    await sleep(300);
    const floodPeak = phase2.stop();
    const closes = await metric('parley_socket_closes_total{code="4004"}');
    const afterFlood = relay.rss();

    // Bob reads again: whatever the relay had queued, then the 4004 close.
    tcp.resume();
    const { code } = await sb.closed;
    sa.close();

    const figures = {
      backlogMiB: mib(BACKLOG_ENTRIES * ENTRY_CHARS),
      floodMiB: mib(pushed),
      maxBufferedMiB: mib(MAX_BUFFERED),
      rssBaselineMiB: mib(baseline),
      rssPeakBackpressureMiB: mib(backpressurePeak),
      rssPeakFloodMiB: mib(floodPeak),
      rssAfterMiB: mib(afterFlood),
      entriesDeliveredWhilePaused: deliveredWhilePaused,
      closeCode: code,
    };
    console.log(`[slow consumer] ${JSON.stringify(figures)}`);

    // Backpressure: delivery stopped well short of the backlog and the socket stayed open.
    expect(stillOpen).toBe(true);
    expect(deliveredWhilePaused).toBeLessThan(BACKLOG_ENTRIES);
    expect(deliveredLater).toBe(deliveredWhilePaused);
    // Then the flood: disconnected as a slow consumer.
    expect(code).toBe(CLOSE_CODES.slowConsumer);
    expect(closes).toBe(1);
    // Loose bounds: far below what was pushed at the relay (160 MiB + 24 MiB).
    expect(backpressurePeak - baseline).toBeLessThan(64 * MiB);
    expect(floodPeak - baseline).toBeLessThan(96 * MiB);
  }, 60_000);
});
