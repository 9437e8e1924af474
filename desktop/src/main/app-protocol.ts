// Serves the UI from app://parley/ instead of file://: a standard, secure origin of its
// own, so the CSP's 'self' means the bundled files and nothing else on disk, and every
// response carries the CSP header. Paths are resolved by appAssetPath (tested), which
// refuses anything that would leave the folder.
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_SCHEME, appAssetPath, mimeTypeOf } from '../shell-logic/window-security.ts';

/** Must run before app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function serveApp(rendererDir: string, shellDir: string, csp: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const rel = appAssetPath(request.url);
    if (rel === null) return new Response('Not found', { status: 404 });
    // The unlock page lives beside the UI, not inside its build folder.
    const file = rel.startsWith('_shell/') ? join(shellDir, rel.slice('_shell/'.length)) : join(rendererDir, rel);
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: { 'content-type': mimeTypeOf(rel), 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
