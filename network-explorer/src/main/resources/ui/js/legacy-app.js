// Network Explorer UI: plain JS, no build step. Server-side filtering and cursor pagination keep
// it usable at 100,000 devices: the browser only ever holds one page.
'use strict';
const $ = (sel, el = document) => el.querySelector(sel);
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const ago = iso => { if (!iso) return '—'; const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : s < 86400 ? Math.round(s / 3600) + ' h ago' : Math.round(s / 86400) + ' d ago'; };
const badge = st => `<span class="badge ${esc(st)}">${esc(st)}</span>`;
// null availability means no observed time (device unknown, not yet seen, Explorer down): "no data", never 0 %.
const pct = x => x == null ? 'no data' : (x * 100).toFixed(x >= 0.9995 ? 2 : 1) + '%';
async function api(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

const state = { kind: '', status: 'online', datacenter: '', q: '', sort: 'id', cursors: [null], page: 0, showOffline: false };

async function summary() {
  try {
    const s = await api('/api/summary');
    $('#summary').textContent = `${s.devices} devices · ${s.datacenters} datacenters · ${s.events} events`;
  } catch (e) { $('#summary').textContent = ''; }
}

function nav(active) { for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.id === active); }

async function nodesView() {
  nav('nav-nodes');
  const v = $('#view');
  v.innerHTML = `<div class="card">
    <div class="filters">
      <input id="f-q" placeholder="Search id, label, city, country" value="${esc(state.q)}" size="32">
      <select id="f-kind"><option value="">All kinds</option><option>host</option><option>gateway</option><option>stargate</option></select>
      <select id="f-status"><option value="">Any status</option><option value="online">Online</option><option value="offline">Offline</option><option value="unknown">Unknown</option></select>
      <input id="f-dc" placeholder="Datacenter" value="${esc(state.datacenter)}" size="14">
      <label><input type="checkbox" id="f-offline"> Show offline</label>
      <label><input type="checkbox" id="f-below"> Below target</label>
    </div>
    <table id="nodes"><thead><tr>
      <th data-sort="id">ID</th><th data-sort="kind">Kind</th><th data-sort="status">Status</th><th data-sort="datacenter">Datacenter</th>
      <th>Gateway</th><th>Location</th><th data-sort="availability">24 h availability</th><th data-sort="lastSeen">Last seen</th></tr></thead>
      <tbody></tbody></table>
    <div class="pager"><button id="prev">← Previous</button><button id="next">Next →</button><span id="count"></span></div></div>`;
  $('#f-kind').value = state.kind; $('#f-status').value = state.status; $('#f-offline').checked = state.showOffline;
  const reload = () => { state.cursors = [null]; state.page = 0; loadNodes(); };
  let timer;
  $('#f-q').addEventListener('input', e => { clearTimeout(timer); timer = setTimeout(() => { state.q = e.target.value; reload(); }, 250); });
  $('#f-dc').addEventListener('change', e => { state.datacenter = e.target.value.trim(); reload(); });
  $('#f-kind').addEventListener('change', e => { state.kind = e.target.value; reload(); });
  $('#f-status').addEventListener('change', e => { state.status = e.target.value; reload(); });
  $('#f-offline').addEventListener('change', e => { state.showOffline = e.target.checked; if (e.target.checked && state.status === 'online') { state.status = ''; $('#f-status').value = ''; } if (!e.target.checked && !state.status) { state.status = 'online'; $('#f-status').value = 'online'; } reload(); });
  $('#f-below').addEventListener('change', e => { state.below = e.target.checked; reload(); });
  for (const th of document.querySelectorAll('th[data-sort]')) th.addEventListener('click', () => {
    const key = th.dataset.sort; state.sort = state.sort === key ? '-' + key : key; reload(); });
  $('#prev').addEventListener('click', () => { if (state.page > 0) { state.page--; loadNodes(); } });
  $('#next').addEventListener('click', () => { if (state.cursors[state.page + 1]) { state.page++; loadNodes(); } });
  await loadNodes();
}

async function loadNodes() {
  const p = new URLSearchParams({ limit: '50', sort: state.sort });
  if (state.kind) p.set('kind', state.kind);
  if (state.status) p.set('status', state.status);
  if (state.datacenter) p.set('datacenter', state.datacenter);
  if (state.q) p.set('q', state.q);
  if (state.below) p.set('belowTarget', 'true');
  const cursor = state.cursors[state.page]; if (cursor) p.set('cursor', cursor);
  const tbody = $('#nodes tbody');
  for (const th of document.querySelectorAll('th[data-sort]')) {
    const key = state.sort.replace('-', ''); th.classList.toggle('sorted', th.dataset.sort === key); th.classList.toggle('asc', !state.sort.startsWith('-'));
  }
  try {
    const page = await api('/api/nodes?' + p);
    state.cursors[state.page + 1] = page.nextCursor;
    tbody.innerHTML = page.items.map(n => `<tr data-id="${esc(n.id)}">
      <td><a href="#/node/${encodeURIComponent(n.id)}">${esc(n.id)}</a></td><td>${esc(n.kind)}</td><td>${badge(n.status)}</td>
      <td>${esc(n.datacenter)}</td><td>${n.gateway ? `<a href="#/node/${encodeURIComponent(n.gateway)}">${esc(n.gateway.slice(0, 16))}…</a>` : '<span class="muted">—</span>'}</td>
      <td>${esc([n.city, n.country].filter(Boolean).join(', ')) || '<span class="muted">—</span>'}</td>
      <td>${n.availability24h == null ? '<span class="muted">no data</span>' : `<span class="bar ${n.belowTarget ? 'below' : ''}"><span style="width:${(n.availability24h * 100).toFixed(1)}%"></span></span> ${pct(n.availability24h)}`}</td>
      <td title="${esc(n.lastSeen)}">${n.status === 'online' ? 'now' : ago(n.lastSeen)}</td></tr>`).join('')
      || '<tr><td colspan="8" class="muted">No devices match.</td></tr>';
    $('#count').textContent = `${page.total} devices · page ${state.page + 1}`;
    $('#prev').disabled = state.page === 0; $('#next').disabled = !page.nextCursor;
  } catch (e) { tbody.innerHTML = `<tr><td colspan="8" class="error">${esc(e.message)}</td></tr>`; }
}

async function nodeView(id) {
  nav('');
  const v = $('#view');
  try {
    const [n, ev, hourly] = await Promise.all([api('/api/nodes/' + encodeURIComponent(id)),
      api('/api/nodes/' + encodeURIComponent(id) + '/events?limit=100'), api('/api/nodes/' + encodeURIComponent(id) + '/availability?range=hourly&count=24')]);
    const a = n.availability;
    v.innerHTML = `<div class="card"><h2 id="node-title">${esc(n.id)} ${badge(n.status)}</h2>
      <div class="chain">Chain: ${n.chain.map(c => `<a href="#/node/${encodeURIComponent(c.id)}">${esc(c.kind)} ${esc(c.id.slice(0, 18))}</a>`).join(' → ')}</div></div>
      <div class="grid">
        <div class="card"><dl class="kv"><dt>Kind</dt><dd>${esc(n.kind)}</dd><dt>Datacenter</dt><dd>${esc(n.datacenter)}</dd>
          <dt>First seen</dt><dd>${esc(n.firstSeen)}</dd><dt>Last seen</dt><dd>${n.status === 'online' ? 'now' : esc(n.lastSeen)}</dd>
          <dt>Location</dt><dd>${esc([n.city, n.country].filter(Boolean).join(', ') || '—')}</dd>
          ${n.hosts ? `<dt>Hosts online / offline / unknown</dt><dd id="node-hosts">${esc(n.hosts.online)} / ${esc(n.hosts.offline)} / ${esc(n.hosts.unknown)}</dd>` : ''}
          ${n.parseError ? `<dt>Problem</dt><dd class="error">${esc(n.parseError)}</dd>` : ''}</dl></div>
        <div class="card"><dl class="kv"><dt>Availability 24 h / 7 d / 30 d</dt><dd>${pct(a['24h'])} / ${pct(a['7d'])} / ${pct(a['30d'])}</dd>
          <dt>Target</dt><dd>${pct(a.target)} ${a.belowTarget ? '<span class="badge offline">below target</span>' : ''}</dd></dl>
          <div class="muted">Last 24 hours, hourly</div>
          <div class="chart" id="chart">${hourly.buckets.map(b => `<div class="${b.online == null ? 'none' : b.online < hourly.target ? 'below' : ''}" style="height:${b.online == null ? 2 : Math.max(2, b.online * 100)}%" title="${esc(b.from)}: ${pct(b.online)}"></div>`).join('')}</div></div>
      </div>
      <div class="card"><h3>Events</h3><ul class="timeline" id="events">${ev.items.map(e => `<li><span class="ev ${esc(e.type)}">${esc(e.type)}</span> ${esc(e.at)} <span class="muted">${esc(e.datacenter)}</span> ${esc(e.detail || '')}</li>`).join('') || '<li class="muted">No events.</li>'}</ul></div>
      <div class="card"><h3>Record</h3><pre>${esc(JSON.stringify(n.record, null, 2))}</pre></div>`;
  } catch (e) { v.innerHTML = `<div class="card error">${esc(e.message)}</div>`; }
}

async function datacentersView() {
  nav('nav-dcs');
  const v = $('#view');
  try {
    const dcs = await api('/api/datacenters');
    v.innerHTML = `<div class="card"><table id="dcs"><thead><tr><th>Datacenter</th><th>Replicate</th><th>Lag</th><th>Stargates</th><th>Gateways</th><th>Hosts online / offline / unknown</th></tr></thead><tbody>
      ${dcs.items.map(d => { const c = k => d.devices[k] || {}; const n = (k, s) => c(k)[s] || 0;
        return `<tr><td><a href="#/" class="dc-link" data-dc="${esc(d.datacenter)}">${esc(d.datacenter)}</a></td>
        <td>${d.replicate ? badge(d.replicate.reachable ? 'online' : 'unknown') : '<span class="muted">—</span>'}</td>
        <td>${d.replicate && d.replicate.lagMillis != null ? esc(d.replicate.lagMillis) + ' ms' : '<span class="muted">—</span>'}</td>
        <td>${n('stargate', 'online')}</td><td>${n('gateway', 'online')}</td><td>${n('host', 'online')} / ${n('host', 'offline')} / ${n('host', 'unknown')}</td></tr>`; }).join('')}
      </tbody></table></div>`;
    // A datacenter name is data: it goes into an attribute, never into inline script.
    for (const a of v.querySelectorAll('a.dc-link')) a.addEventListener('click', () => { state.datacenter = a.dataset.dc; state.status = ''; });
  } catch (e) { v.innerHTML = `<div class="card error">${esc(e.message)}</div>`; }
}

async function mapView() {
  nav('nav-map');
  const v = $('#view');
  try {
    const [sg, gw] = await Promise.all([api('/api/nodes?kind=stargate&limit=1000'), api('/api/nodes?kind=gateway&status=online&limit=1000')]);
    const dcs = [...new Set([...sg.items, ...gw.items].map(n => n.datacenter))].sort();
    const counts = {};
    await Promise.all(dcs.map(async dc => { const r = await api('/api/nodes?kind=host&status=online&limit=1&datacenter=' + encodeURIComponent(dc)); counts[dc] = r.total; }));
    v.innerHTML = `<div class="card tree"><h3>Datacenter → gateways → hosts</h3><ul>${dcs.map(dc => `<li><b>${esc(dc)}</b>
      ${sg.items.filter(s => s.datacenter === dc).map(s => ` · stargate <a href="#/node/${encodeURIComponent(s.id)}">${esc(s.id.slice(0, 18))}</a> ${badge(s.status)}`).join('')}
      · ${counts[dc] ?? 0} hosts online
      <ul>${gw.items.filter(g => g.datacenter === dc).map(g => `<li>gateway <a href="#/node/${encodeURIComponent(g.id)}">${esc(g.id)}</a></li>`).join('') || '<li class="muted">no gateway online</li>'}</ul></li>`).join('')}</ul></div>`;
  } catch (e) { v.innerHTML = `<div class="card error">${esc(e.message)}</div>`; }
}

function route() {
  const h = location.hash || '#/';
  if (h.startsWith('#/node/')) return nodeView(decodeURIComponent(h.slice(7)));
  if (h === '#/datacenters') return datacentersView();
  if (h === '#/map') return mapView();
  return nodesView();
}
window.addEventListener('hashchange', route);
summary(); setInterval(summary, 10000);
route();
