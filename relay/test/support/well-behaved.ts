// The well-behaved pair the fuzz tests run beside their bad input: two devices take turns
// sending to each other through the relay under fuzz until told to stop, and every
// message must arrive once, in order, with the next mailbox sequence number.
import { toBase64Url, utf8 } from '@parley/common/encoding';
import { type TestDevice, TestSocket, newCid } from './client.ts';

const goodPayload = (dir: number, i: number) => toBase64Url(utf8(`well-behaved ${dir} message ${i} `.padEnd(60, '.')));

export interface WellBehavedResult {
  /** Messages sent by each device. */
  sent: number[];
  problems: string[];
}

/** Runs until `stop()` (and at least four turns); `onMessage` is called for each message delivered. */
export async function wellBehavedPair(relay: { wsUrl: string; host: string }, devs: [TestDevice, TestDevice], stop: () => boolean, onMessage = () => {}): Promise<WellBehavedResult> {
  const socks = [await TestSocket.login(relay.wsUrl, relay.host, devs[0]), await TestSocket.login(relay.wsUrl, relay.host, devs[1])];
  const sent = [0, 0];
  const lastSeq = [0, 0];
  const problems: string[] = [];
  for (let turn = 0; !stop() || turn < 4; turn++) {
    const from = turn % 2;
    const to = 1 - from;
    const i = sent[from]++;
    const cid = newCid();
    socks[from].send({ t: 'send', cid, to: [{ d: devs[to].id, b: goodPayload(from, i) }] });
    const ack = await socks[from].next((f) => (f.t === 'sent' || f.t === 'error') && (f.cid ?? f.ref) === cid, 15_000).catch((err: Error) => {
      throw new Error(`no answer to send ${from}/${i}: ${err.message}`);
    });
    if (ack.t !== 'sent') {
      problems.push(`send ${from}/${i} refused: ${ack.code} ${ack.message}`);
      continue;
    }
    const [entry, ...extra] = await socks[to].receive(1, 15_000).catch((err: Error) => {
      throw new Error(`send ${from}/${i} was not delivered: ${err.message}`);
    });
    if (extra.length > 0) problems.push(`extra entries delivered to ${to}`);
    if (entry.b !== goodPayload(from, i)) problems.push(`device ${to} got the wrong message for ${from}/${i}`);
    if (entry.s !== lastSeq[to] + 1) problems.push(`device ${to}: seq ${entry.s} after ${lastSeq[to]}`);
    lastSeq[to] = entry.s;
    socks[to].send({ t: 'ack', upTo: entry.s });
    onMessage();
  }
  // Nothing more may arrive: no duplicates, nothing from anyone else.
  for (const s of socks) if (!(await s.quiet('deliver', 300))) problems.push('a duplicate or foreign entry arrived after the last message');
  for (const s of socks) s.close();
  await Promise.all(socks.map((s) => s.closed));
  return { sent, problems };
}
