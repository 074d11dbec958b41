// The one way views talk to the server. A 401 (login on, session gone) sends the browser to the
// login page and back here afterwards; any other failure is an Error carrying the server's message.
export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function api(path, init) {
  const r = await fetch(path, { credentials: 'same-origin', ...init });
  if (r.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.hash));
    throw new ApiError(401, 'login required');
  }
  let body;
  try { body = await r.json(); } catch { body = {}; }
  if (!r.ok) throw new ApiError(r.status, body.error || r.statusText);
  return body;
}
