// A core in its own process, for crash tests: opens a profile and SIGKILLs itself at the
// named point (no cleanup, no graceful close: what a power cut or a crash looks like).
// argv[2] is JSON: { dir, kill: 'beforeCommit' | 'afterCommit' | 'afterSent', send?: { conversationId, text } }.
import { Messenger } from '../../src/core/messenger.ts';

const args = JSON.parse(process.argv[2]) as {
  dir: string;
  kill: 'beforeCommit' | 'afterCommit' | 'afterSent';
  send?: { conversationId: string; text: string };
};
const die = () => process.kill(process.pid, 'SIGKILL');

const m = await Messenger.open({
  profileDir: args.dir,
  relay: { backoff: { baseMs: 50, maxMs: 400 } },
  outboxPolicy: { baseDelayMs: 50, maxDelayMs: 400 },
  hooks: {
    beforeCommit: () => {
      if (args.kill === 'beforeCommit') die();
    },
    afterCommit: () => {
      if (args.kill === 'afterCommit') die();
    },
    afterSent: () => {
      if (args.kill === 'afterSent') die();
    },
  },
});
if (args.send) await m.sendText(args.send);
process.stdout.write('started\n');
// Stays up until a hook kills it (the parent's timeout kills it otherwise).
setInterval(() => undefined, 1000);
