// The contract over the engine itself: the in-process Messenger the CLI and the engine
// tests use. Its answers are the reference the two boundary transports are compared with.
import { Cores } from '../support/harness.ts';
import { runMessengerApiContract } from './messenger-api.contract.ts';

runMessengerApiContract(
  'direct (in-process Messenger)',
  async () => {
    const cores = new Cores();
    const [alice, bob] = await Promise.all([cores.core(), cores.core()]);
    return { alice, bob, engines: { alice, bob }, close: () => cores.closeAll() };
  },
  { boundary: false },
);
