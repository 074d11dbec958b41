// Who is logged in, and a way out. With --auth-file the header shows the user name and a logout
// button; the button is a plain form POST (no fetch, no token in script: the session cookie is
// HttpOnly, and SameSite=Strict plus the server's Origin check make the post CSRF-safe).
export async function mountUser(slot) {
  if (!slot) return;
  let me;
  try {
    const r = await fetch('/api/me', { credentials: 'same-origin' });
    if (!r.ok) return;
    me = await r.json();
  } catch {
    return;
  }
  if (!me || !me.auth || !me.user) { slot.replaceChildren(); return; }
  const name = document.createElement('span');
  name.className = 'user-name';
  name.id = 'user-name';
  name.textContent = me.user;
  const form = document.createElement('form');
  form.method = 'post';
  form.action = '/logout';
  form.className = 'logout';
  const button = document.createElement('button');
  button.type = 'submit';
  button.id = 'logout';
  button.textContent = 'Log out';
  form.append(button);
  slot.replaceChildren(name, form);
}
