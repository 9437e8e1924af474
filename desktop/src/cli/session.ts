// Opens the engine for one CLI command. Only `send` and `listen` dial the relay's
// WebSocket: the relay allows one socket per device and replaces the older one, so a
// `conversations` or `search` run beside a `listen` must not knock the listener off.
// The other commands get a socket factory that never dials (HTTP calls, such as fetching
// a contact's device list in `add`, still go out).
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Account } from '@parley/common/api/index';
import { DATABASE_FILE } from '../core/db/database.ts';
import { Messenger } from '../core/messenger.ts';
import type { SocketFactory } from '../core/net/socket.ts';
import { CliError } from './errors.ts';

/**
 * `--profile`, else $PARLEY_PROFILE, else ~/.parley/cli. A relative path is taken from
 * where the user typed it: under `npm run parley` that is INIT_CWD, not the package root.
 */
export function profileDirOf(flag: string | undefined): string {
  const dir = flag || process.env.PARLEY_PROFILE || join(homedir(), '.parley', 'cli');
  return resolve(process.env.INIT_CWD ?? process.cwd(), dir);
}

const neverDial: SocketFactory = () => ({ send() {}, close() {} });

export async function openMessenger(profileDir: string, opts: { online: boolean; create?: boolean }): Promise<Messenger> {
  // Only `init` creates a profile: a mistyped --profile must not leave a new one behind.
  if (!opts.create && !existsSync(join(profileDir, DATABASE_FILE))) throw noAccount(profileDir);
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  return Messenger.open({ profileDir, socketFactory: opts.online ? undefined : neverDial });
}

export async function requireAccount(m: Messenger, profileDir: string): Promise<Account> {
  const account = await m.getAccount();
  if (!account) throw noAccount(profileDir);
  return account;
}

const noAccount = (profileDir: string) => new CliError('no_account', `There is no account in ${profileDir}; create one with \`parley init --relay URL\`.`);
