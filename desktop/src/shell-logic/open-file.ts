// Opening a downloaded attachment in the system's app (Electron only; a browser has no
// such door). The file is something a contact sent: the main process opens only a file
// that is the message's own saved copy inside the profile's attachments folder (after
// resolving links), and never a program or script (as Signal and WhatsApp Desktop do,
// those are saved and opened by the user on purpose, not one click from a chat).
import { extname, relative, isAbsolute } from 'node:path';
import { MessageIdParam, type ApiErrorShape } from '@parley/common/api/index';
import { errorShape } from './api-ipc.ts';

/** Extensions that run code when opened (Windows, macOS, Linux), matched case-insensitively. */
export const RISKY_EXTENSIONS: ReadonlySet<string> = new Set([
  // Windows programs, installers, scripts, shortcuts and control-panel items
  'exe', 'com', 'scr', 'pif', 'bat', 'cmd', 'msi', 'msp', 'msix', 'appx', 'appxbundle', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'hta', 'cpl', 'lnk', 'url', 'reg', 'scf', 'inf', 'jar', 'application', 'gadget', 'msc', 'chm', 'library-ms', 'settingcontent-ms',
  // macOS applications, installers, scripts and disk images that carry them
  'app', 'pkg', 'mpkg', 'command', 'tool', 'scpt', 'applescript', 'workflow', 'dmg', 'terminal', 'webloc', 'inetloc', 'fileloc',
  // Linux and Unix
  'sh', 'bash', 'zsh', 'csh', 'ksh', 'run', 'bin', 'desktop', 'appimage', 'deb', 'rpm', 'snap', 'flatpakref',
  // Interpreted anywhere a runtime is installed
  'py', 'pyw', 'pl', 'rb', 'php', 'lua',
]);

export type OpenFileDecision = { ok: true; path: string } | { ok: false; code: 'attachment_not_downloaded' | 'file_refused'; message: string };

/**
 * Whether the shell may open a saved attachment. `savedPath` is the core's record of the
 * message's file (null before a download), `realPath` the same after resolving links (null
 * when it does not exist), `attachmentsDir` the profile's attachments folder, resolved too.
 */
export function openFileDecision(p: { savedPath: string | null; realPath: string | null; attachmentsDir: string; name: string }): OpenFileDecision {
  if (!p.savedPath || !p.realPath) return { ok: false, code: 'attachment_not_downloaded', message: `${p.name} is not on this computer yet; download it first.` };
  const inside = relative(p.attachmentsDir, p.realPath);
  if (!inside || inside.startsWith('..') || isAbsolute(inside)) return { ok: false, code: 'file_refused', message: `${p.name} is not in Parley's attachments folder, so it is not opened.` };
  for (const candidate of [p.realPath, p.name]) {
    const ext = extname(candidate).slice(1).toLowerCase();
    if (RISKY_EXTENSIONS.has(ext)) {
      return { ok: false, code: 'file_refused', message: `Parley does not open programs or scripts it received (.${ext}). Save ${p.name} and open it yourself if you trust it.` };
    }
  }
  return { ok: true, path: p.realPath };
}

/** What the main process needs of the core to open a file (Messenger.savedAttachment). */
export interface SavedAttachments {
  savedAttachment(messageId: string): { path: string | null; name: string; dir: string };
}

export type OpenFileResult = { ok: true; path: string } | { ok: false; error: ApiErrorShape };

/**
 * The main side of "Open": the message id from the page is checked, the core names the
 * saved file, links are resolved (`realpath`, null when the file is gone), and the
 * decision above says whether the shell may hand it to the system. Never throws.
 */
export function prepareOpenFile(core: SavedAttachments, messageId: unknown, realpath: (path: string) => string | null): OpenFileResult {
  const id = MessageIdParam.safeParse(messageId);
  if (!id.success) return { ok: false, error: { code: 'bad_params', message: 'Not a message id.' } };
  try {
    const saved = core.savedAttachment(id.data);
    const dir = realpath(saved.dir) ?? saved.dir;
    const decision = openFileDecision({ savedPath: saved.path, realPath: saved.path ? realpath(saved.path) : null, attachmentsDir: dir, name: saved.name });
    return decision.ok ? decision : { ok: false, error: { code: decision.code, message: decision.message } };
  } catch (err) {
    return { ok: false, error: errorShape(err) };
  }
}
