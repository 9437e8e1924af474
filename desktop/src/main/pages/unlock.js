// The unlock window's script (plain JS, served from app://parley/_shell/ under the CSP).
(async () => {
  const $ = (id) => document.getElementById(id);
  const info = await window.parleyUnlock.info();
  if (!info) return;
  const creating = info.mode === 'create';
  $('title').textContent = creating ? 'Choose a passphrase' : 'Unlock Parley';
  $('reason').textContent = info.reason;
  $('confirm-row').hidden = !creating;
  $('submit').textContent = creating ? 'Set passphrase' : 'Unlock';
  $('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const pass = $('pass').value;
    if (creating && pass !== $('confirm').value) {
      $('error').textContent = 'The two passphrases differ.';
      return;
    }
    $('submit').disabled = true;
    $('error').textContent = '';
    $('submit').textContent = creating ? 'Setting up…' : 'Unlocking…';
    const r = await window.parleyUnlock.submit(pass);
    if (!r.ok) {
      $('error').textContent = r.message;
      $('submit').disabled = false;
      $('submit').textContent = creating ? 'Set passphrase' : 'Unlock';
      $('pass').select();
    }
  });
})();
