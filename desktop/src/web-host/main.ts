// `parley-web`: runs a real Messenger on a profile directory and serves the UI to a
// browser through the web host, printing the URL to open.
//   node --import tsx desktop/src/web-host/main.ts --profile DIR [--relay URL] [--port N]
import { parseArgs } from 'node:util';
import { Messenger } from '../core/messenger.ts';
import { UI_DIST, startWebHost } from './server.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string' },
    relay: { type: 'string', default: 'http://127.0.0.1:8787' },
    port: { type: 'string', default: '0' },
  },
});
if (!values.profile) {
  console.error('usage: web-host --profile DIR [--relay URL] [--port N]');
  process.exit(2);
}

const messenger = await Messenger.open({ profileDir: values.profile });
const host = await startWebHost({ api: messenger, staticDir: UI_DIST, port: Number(values.port), defaultRelayUrl: values.relay });
console.log(`Parley in your browser: ${host.url}`);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    await host.close();
    await messenger.close();
    process.exit(0);
  });
}
