/// <reference types="node" />
// Crypto benchmark: prints figures and writes them into BENCHMARKS.md between the
// <!-- crypto:start --> / <!-- crypto:end --> markers (other benches own other sections).
// Run with `npm run bench:crypto` from the repository root. Single-threaded throughout.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sodiumReady } from '../src/sodium.ts';
import {
  acceptSenderKeyDistribution,
  createGroupReceiver,
  createSenderKey,
  decryptAttachment,
  decryptGroupMessage,
  decryptMessage,
  encryptAttachment,
  encryptGroupMessage,
  encryptMessage,
  ENVELOPE_KIND,
  initiateSession,
  openEnvelope,
  rotateSenderKey,
  sealEnvelope,
  senderKeyDistribution,
  type SessionRecord,
} from '../src/crypto/index.ts';
import { toBase64Url } from '../src/encoding.ts';
import { bundleOf, makeUser } from '../src/crypto/testkit.ts';

await sodiumReady();
const quick = process.argv.includes('--quick');
const now = () => performance.now();

/** Runs fn repeatedly for ~`ms` after a warm-up and returns operations per second. */
function rate(fn: () => void, ms = quick ? 400 : 1500): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const t0 = now();
  while (now() - t0 < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return (n * 1000) / (now() - t0);
}
/** Median of `runs` timings of fn, in ms. */
function median(fn: () => void, runs = quick ? 15 : 41): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    fn();
    t.push(now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

const rows: [string, string, string][] = [];
const report = (what: string, value: string, target = '') => {
  rows.push([what, value, target]);
  console.log(`${what.padEnd(64)} ${value.padStart(16)}  ${target}`);
};
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

// --- session setup: initiator verifies the bundle and runs X3DH; responder runs X3DH and decrypts the first message.
{
  const alice = makeUser(1).devices[0];
  const bob = makeUser(1, 0).devices[0];
  const bundle = bundleOf(bob, false);
  const plaintext = new Uint8Array(100);
  report('session setup, initiator (verify bundle + X3DH + first encrypt) /s', fmt(rate(() => encryptMessage(initiateSession(alice, bundle), plaintext))));
  report(
    'session setup, both sides (initiate + first message accepted) /s',
    fmt(rate(() => decryptMessage(bob, null, encryptMessage(initiateSession(alice, bundle), plaintext).message))),
  );
}

// --- 1:1 messages of 100 bytes.
function established(): { a: SessionRecord; b: SessionRecord; bobDevice: ReturnType<typeof makeUser>['devices'][0]; aliceDevice: ReturnType<typeof makeUser>['devices'][0] } {
  const alice = makeUser(1).devices[0];
  const bob = makeUser(1).devices[0];
  let a = initiateSession(alice, bundleOf(bob));
  const m = encryptMessage(a, new Uint8Array(1));
  a = m.record;
  const r = decryptMessage(bob, null, m.message);
  let b = r.record;
  const reply = encryptMessage(b, new Uint8Array(1));
  b = reply.record;
  a = decryptMessage(alice, a, reply.message).record;
  return { a, b, bobDevice: r.device, aliceDevice: alice };
}
{
  const s = established();
  const pt = new Uint8Array(100);
  let a = s.a;
  let b = s.b;
  const oneWay = rate(() => {
    const e = encryptMessage(a, pt);
    a = e.record;
    b = decryptMessage(s.bobDevice, b, e.message).record;
  });
  report('1:1 encrypt+decrypt, 100 B, same direction (symmetric ratchet) msg/s', fmt(oneWay), '≥ 20,000');
  const pingPong = rate(() => {
    const e = encryptMessage(a, pt);
    a = e.record;
    b = decryptMessage(s.bobDevice, b, e.message).record;
    const r = encryptMessage(b, pt);
    b = r.record;
    a = decryptMessage(s.aliceDevice, a, r.message).record;
  });
  report('1:1 encrypt+decrypt, 100 B, alternating (DH ratchet every msg) msg/s', fmt(pingPong * 2));
  const sealed = rate(() => {
    const e = encryptMessage(a, pt);
    a = e.record;
    const env = sealEnvelope(s.aliceDevice, s.bobDevice.identity.pub, ENVELOPE_KIND.pairwise, e.message);
    const o = openEnvelope(s.bobDevice, env);
    b = decryptMessage(s.bobDevice, b, o.content, o.sender).record;
  });
  report('1:1 encrypt+decrypt, 100 B, same direction, inside sealed envelope msg/s', fmt(sealed));
}

// --- groups: 100 members x 3 devices = 300 devices.
{
  const members = Array.from({ length: 100 }, () => makeUser(3, 0));
  const me = members[0].devices[0];
  const all = members.flatMap((m) => m.devices);
  const others = all.filter((d) => d.deviceId !== me.deviceId);
  let own = createSenderKey('bench-group');
  const pt = new Uint8Array(100);
  const sendMs = median(() => {
    const out = encryptGroupMessage(own, pt);
    own = out.own;
    const b = toBase64Url(out.message);
    // one ciphertext for every device, as the send frame's `to` list
    const to = others.map((d) => ({ d: d.deviceId, b }));
    if (to.length !== 299) throw new Error('bad fan-out');
  });
  report('group message to 300 devices (sender keys), sender CPU ms', fmt(sendMs, 3), '≤ 5 ms');
  let recv = acceptSenderKeyDistribution(createGroupReceiver('bench-group'), senderKeyDistribution(own), { userId: members[0].account.userId, deviceId: me.deviceId });
  const msgs = Array.from({ length: 2000 }, () => {
    const out = encryptGroupMessage(own, pt);
    own = out.own;
    return out.message;
  });
  const t0 = now();
  for (const m of msgs) recv = decryptGroupMessage(recv, m).state;
  const recvRate = (msgs.length * 1000) / (now() - t0);
  report('group message decrypt + signature check, per receiving device msg/s', fmt(recvRate));

  // Sessions from `me` to every other device (set up once, outside the timing).
  let sessions = new Map<string, SessionRecord>();
  for (const d of others) sessions.set(d.deviceId, initiateSession(me, bundleOf(d, false)));
  const removed = new Set(members[1].devices.map((d) => d.deviceId));
  const remaining = others.filter((d) => !removed.has(d.deviceId));
  const rotateMs = median(() => {
    own = rotateSenderKey(own);
    const dist = senderKeyDistribution(own);
    const next = new Map(sessions);
    const to: { d: string; b: string }[] = [];
    for (const d of remaining) {
      const e = encryptMessage(next.get(d.deviceId)!, dist);
      next.set(d.deviceId, e.record);
      to.push({ d: d.deviceId, b: toBase64Url(sealEnvelope(me, d.identity.pub, ENVELOPE_KIND.senderKeyDistribution, e.message)) });
    }
    sessions = next;
  }, quick ? 3 : 7);
  report(`key rotation after removing 1 member (3 devices) of 300; ${remaining.length} sealed distributions, ms`, fmt(rotateMs, 1));
  const rotateUnsealedMs = median(() => {
    own = rotateSenderKey(own);
    const dist = senderKeyDistribution(own);
    for (const d of remaining) encryptMessage(sessions.get(d.deviceId)!, dist);
  }, quick ? 3 : 7);
  report('  of which: new key + pairwise ratchet encryptions only (no envelopes), ms', fmt(rotateUnsealedMs, 1));
}

// --- attachments.
{
  const size = (quick ? 16 : 64) * 1024 * 1024;
  const data = new Uint8Array(size);
  for (let o = 0; o < size; o += 65536) globalThis.crypto.getRandomValues(data.subarray(o, o + 65536));
  const encMs = median(() => encryptAttachment(data), quick ? 3 : 5);
  const enc = encryptAttachment(data);
  const decMs = median(() => decryptAttachment(enc.ciphertext, enc), quick ? 3 : 5);
  const mib = size / 1048576;
  report(`attachment encrypt + hash (${mib} MiB) MiB/s`, fmt(mib / (encMs / 1000)), '≥ 150 MiB/s');
  report(`attachment hash check + decrypt (${mib} MiB) MiB/s`, fmt(mib / (decMs / 1000)), '≥ 150 MiB/s');
}

// --- write BENCHMARKS.md (only our section).
const cpu = (() => {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.+)/);
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return cpus()[0]?.model ?? 'unknown';
})();
const header = [
  '## Crypto (`npm run bench:crypto`)',
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu} (${cpus().length} cores, shared; load average ${loadavg()[0].toFixed(1)} at the end of the run), Node ${process.version}, libsodium-wrappers-sumo (WebAssembly), one thread.${quick ? ' Quick run (shorter timings).' : ''}`,
  '',
  '| Figure | Value | Target |',
  '| --- | ---: | --- |',
  ...rows.map(([w, v, t]) => `| ${w} | ${v} | ${t} |`),
  '',
  'Notes: a group message is one sender-key ciphertext (signed) that the relay fans out; the figure covers',
  'encrypting, signing, encoding and building the 299-entry `to` list. Rotation re-keys the sender and sends the',
  'new key to every remaining device over its pairwise session inside a sealed envelope (two X25519 per envelope).',
  'Optimisations made while measuring (same machine, shared): ratchet/sender-key message keys by HKDF-Expand only',
  '(1:1 same-direction 19,543 -> 24,524 msg/s, quick runs); attachment hash computed per chunk during encryption and in',
  '1 MiB slices when checking, instead of one 64 MiB call (64 MiB encrypt 134 -> ~245 MiB/s, decrypt 166 -> ~235 MiB/s).',
].join('\n');
const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../BENCHMARKS.md');
const section = `<!-- crypto:start -->\n${header}\n<!-- crypto:end -->`;
let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const re = /<!-- crypto:start -->[\s\S]*?<!-- crypto:end -->/;
doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(file, doc);
console.log(`\nwrote the crypto section of ${file}`);
