import { describe, expect, it } from 'vitest';
import { openFileDecision } from './open-file.ts';

const DIR = '/home/ann/.config/Parley/profile/attachments';
const saved = (file: string, name = file) => ({ savedPath: `${DIR}/${file}`, realPath: `${DIR}/${file}`, attachmentsDir: DIR, name });

describe('opening a saved attachment in the system app', () => {
  it('opens documents, images and archives saved in the attachments folder', () => {
    for (const f of ['blob1-report.pdf', 'blob2-holiday.JPG', 'blob3-notes.txt', 'blob4-slides.odp', 'blob5-data.tar.gz', 'blob6-README']) {
      expect(openFileDecision(saved(f)), f).toEqual({ ok: true, path: `${DIR}/${f}` });
    }
  });

  it('refuses programs, installers and scripts, whatever the case of their extension', () => {
    for (const f of ['blob-setup.exe', 'blob-install.MSI', 'blob-run.sh', 'blob-tool.command', 'blob-x.desktop', 'blob-Parley.AppImage', 'blob-invoice.pdf.js', 'blob-a.ps1', 'blob-link.lnk', 'blob-disk.dmg', 'blob-app.jar']) {
      const d = openFileDecision(saved(f));
      expect(d, f).toMatchObject({ ok: false, code: 'file_refused' });
      expect(d.ok ? '' : d.message).toContain('does not open programs or scripts');
    }
  });

  it('judges the name the sender gave too, not only the file on disk', () => {
    expect(openFileDecision({ ...saved('blob-holiday'), name: 'holiday.scr' })).toMatchObject({ ok: false, code: 'file_refused' });
  });

  it('refuses a file outside the attachments folder (a link pointing elsewhere, a path with ..)', () => {
    expect(openFileDecision({ ...saved('blob-notes.txt'), realPath: '/home/ann/.ssh/id_ed25519' })).toMatchObject({ ok: false, code: 'file_refused' });
    expect(openFileDecision({ ...saved('blob-notes.txt'), realPath: `${DIR}/../secrets.txt` })).toMatchObject({ ok: false, code: 'file_refused' });
    expect(openFileDecision({ ...saved('blob-notes.txt'), realPath: DIR })).toMatchObject({ ok: false, code: 'file_refused' });
    expect(openFileDecision({ ...saved('blob-notes.txt'), realPath: `${DIR}-other/blob-notes.txt` })).toMatchObject({ ok: false, code: 'file_refused' });
  });

  it('says a file that is not downloaded (or gone) must be downloaded first', () => {
    expect(openFileDecision({ ...saved('x.pdf'), savedPath: null })).toMatchObject({ ok: false, code: 'attachment_not_downloaded' });
    expect(openFileDecision({ ...saved('x.pdf'), realPath: null })).toMatchObject({ ok: false, code: 'attachment_not_downloaded' });
  });
});
