// OpenClaw Web UI: a thin live view over the gateway's WebSocket protocol v1 (see PROTOCOL.md).
const $ = (sel) => document.querySelector(sel);
const fragToken = new URLSearchParams(location.hash.slice(1)).get('token');
if (fragToken) {
  sessionStorage.setItem('openclaw.token', fragToken);
  history.replaceState(null, '', location.pathname);
}
let ws;
let nextId = 0;
const pending = new Map();
const tasks = new Map();

function setConn(text, cls) {
  const b = $('#conn');
  b.textContent = text;
  b.className = `badge ${cls ?? ''}`;
}

function request(method, params) {
  const id = `w${++nextId}`;
  ws.send(JSON.stringify({ type: 'req', id, method, params }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text ?? '-';
  return td;
}

function renderTasks() {
  const body = $('#tasks tbody');
  body.replaceChildren();
  const rows = [...tasks.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, 200);
  for (const t of rows) {
    const tr = document.createElement('tr');
    tr.dataset.id = t.id;
    tr.append(
      cell(t.id),
      cell(t.status),
      cell(t.task ?? `${t.skill} ${JSON.stringify(t.args ?? {})}`),
      cell(t.workspace),
      cell(t.node_id),
      cell(t.created_at),
    );
    body.append(tr);
  }
}

async function refresh() {
  const h = await request('health', {});
  $('#health').replaceChildren(
    ...['status', 'version', 'uptime_ms'].flatMap((k) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = String(h[k]);
      return [dt, dd];
    }),
  );
  const nodes = await request('node.list', {}).catch(() => ({ nodes: [] }));
  const body = $('#nodes tbody');
  body.replaceChildren();
  for (const n of nodes.nodes ?? []) {
    const tr = document.createElement('tr');
    tr.append(
      cell(n.id),
      cell(n.capabilities.join(', ')),
      cell(String(n.running)),
      cell(String(n.concurrency)),
    );
    body.append(tr);
  }
  const list = await request('task.list', { limit: 100 }).catch(() => ({ tasks: [] }));
  for (const t of list.tasks ?? []) tasks.set(t.id, t);
  renderTasks();
}

function connect() {
  const token = sessionStorage.getItem('openclaw.token') ?? undefined;
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(`${proto}://${location.host}/ws`);
  setConn('connecting…');
  ws.onopen = () => {
    const id = `w${++nextId}`;
    ws.send(
      JSON.stringify({
        type: 'req',
        id,
        method: 'connect',
        params: {
          protocol: { min: 1, max: 1 },
          role: 'operator',
          client: { name: 'openclaw-web', version: '1' },
          ...(token ? { auth: { token } } : {}),
        },
      }),
    );
    pending.set(id, {
      resolve: async () => {
        setConn('connected', 'ok');
        $('#login').hidden = true;
        $('#app').hidden = false;
        await request('task.subscribe', {}).catch(() => undefined);
        await refresh();
      },
      reject: (err) => {
        setConn(err.code ?? 'refused', 'bad');
        $('#login').hidden = false;
      },
    });
  };
  ws.onmessage = (ev) => {
    const f = JSON.parse(ev.data);
    if (f.type === 'res') {
      const p = pending.get(f.id);
      pending.delete(f.id);
      if (p) f.ok ? p.resolve(f.payload) : p.reject(f.error);
    } else if (f.type === 'event' && f.event === 'task.updated') {
      tasks.set(f.payload.id, f.payload);
      renderTasks();
    } else if (f.type === 'event' && f.event === 'node.updated') {
      void refresh();
    }
  };
  ws.onclose = (ev) => {
    setConn(`disconnected (${ev.code})`, 'bad');
    if (ev.code === 4401 || ev.code === 4403) {
      $('#login').hidden = false;
      return;
    }
    setTimeout(connect, 2000);
  };
}

$('#login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem('openclaw.token', $('#token').value.trim());
  connect();
});

$('#submit-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('#task-text').value.trim();
  const skill = $('#task-skill').value.trim();
  const args = $('#task-args').value.trim();
  const workspace = $('#task-workspace').value.trim();
  const params = skill ? { skill, ...(args ? { args: JSON.parse(args) } : {}) } : { task: text };
  if (workspace) params.workspace = workspace;
  try {
    const t = await request('task.submit', params);
    tasks.set(t.id, t);
    renderTasks();
    $('#submit-result').textContent = `submitted ${t.id}`;
  } catch (err) {
    $('#submit-result').textContent = `${err.code}: ${err.message}`;
  }
});

connect();
