// `parley-web`: runs a real Messenger on a profile directory and serves the UI to a
// browser through the web host, printing the URL to open. A parley:// link given as an
// argument opens in the page (the add-contact flow) once it has loaded.
//   node --import tsx desktop/src/web-host/main.ts --profile DIR [--relay URL] [--port N] [parley://add?…]
import { parseArgs } from 'node:util';
import { Messenger } from '../core/messenger.ts';
import { deepLinkFromArgv } from '../shell-logic/deep-link.ts';
import { UI_DIST, startWebHost } from './server.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    profile: { type: 'string' },
    relay: { type: 'string', default: 'http://127.0.0.1:8787' },
    port: { type: 'string', default: '0' },
  },
});
if (!values.profile) {
  console.error('usage: web-host --profile DIR [--relay URL] [--port N] [parley://add?…]');
  process.exit(2);
}

const messenger = await Messenger.open({ profileDir: values.profile });
const host = await startWebHost({
  api: messenger,
  staticDir: UI_DIST,
  port: Number(values.port),
  defaultRelayUrl: values.relay,
  log: (msg) => console.error(`[parley-web] ${msg}`),
});
console.log(`Parley in your browser: ${host.url}`);
const link = deepLinkFromArgv(positionals);
if (link) host.openLink(link);

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
