// netlab ui's page: draws the picture the server lays out, follows its
// stream (snapshots of the lab's status, test events) and asks it for traces.
// It only reads: the server has no route that changes the lab.

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

/** The newest snapshot: { lab, up, status, picture } or { up: false, message }. */
let snapshot;
let selected;
/** The trace drawn on the picture, redrawn with each snapshot. */
let trace;
/** Test runs by id: the newest one is shown. */
let run;

// The token came in the URL and is now in a cookie: keep it off the screen (a projector shows the URL bar).
if (location.search.includes('token=')) history.replaceState(null, '', location.pathname);

connect();
$('trace-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void askTrace(false);
});
$('verify-button').addEventListener('click', () => void askTrace(true));

function connect() {
  const events = new EventSource('events');
  events.addEventListener('open', () => {
    banner('');
    setState('connected', false);
  });
  events.addEventListener('error', () => {
    // EventSource retries by itself; until then, say so instead of showing a stale lab as live.
    banner('Lost the connection to netlab ui: is it still running? Retrying every second…');
    setState('disconnected', true);
    $('picture').classList.add('gone');
  });
  events.addEventListener('snapshot', (e) => onSnapshot(JSON.parse(e.data)));
  events.addEventListener('test', (e) => onTest(JSON.parse(e.data)));
  events.addEventListener('test-reset', () => {
    run = undefined;
    renderTests();
  });
  events.addEventListener('problem', (e) => banner(`netlab ui could not read the lab: ${JSON.parse(e.data).message}`));
}

function onSnapshot(s) {
  snapshot = s;
  $('title').textContent = s.picture ? s.picture.title : `netlab ui: ${s.lab}`;
  if (!s.up) {
    banner(`Lab "${s.lab}" is not up${s.message ? `: ${s.message}` : ''}. The page shows it again when it is.`);
    setState('lab down', true);
    $('picture').classList.add('gone');
    return;
  }
  banner('');
  const damaged = s.status.status === 'damaged';
  setState(damaged ? 'damaged: differs from its plan' : `up · read ${new Date(s.at).toLocaleTimeString()}`, damaged);
  $('picture').classList.remove('gone');
  draw(s.picture);
  fillChoices(s.status);
  renderDrift(s.status);
  if (selected) showDetails(selected);
}

function setState(text, bad) {
  $('state').textContent = text;
  $('state').classList.toggle('bad', bad);
}

function banner(text) {
  $('banner').textContent = text;
  $('banner').hidden = text === '';
}

// ---------------------------------------------------------------- picture

function draw(pic) {
  const svg = $('picture');
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${pic.width} ${pic.height}`);
  const byId = new Map(pic.boxes.map((b) => [b.id, b]));
  const wires = el('g', { class: 'wires' });
  for (const w of pic.wires) {
    const a = byId.get(w.from);
    const b = byId.get(w.to);
    if (!a || !b) continue;
    // A pod hangs under its hub; a node's eth0 reaches up to the fabric.
    const [x1, y1] = [a.x + a.w / 2, a.y];
    const [x2, y2] = b.kind === 'fabric' ? [a.x + a.w / 2, b.y + b.h] : [b.x + b.w / 2, b.y + b.h];
    const line = el('line', { class: 'wire', x1, y1, x2, y2 });
    if (w.label) line.append(el('title', {}, w.label));
    wires.append(line);
  }
  svg.append(wires);
  // Nodes first, so their devices and pods are drawn over them.
  const order = (b) => (b.kind === 'node' ? 0 : 1);
  for (const b of [...pic.boxes].sort((x, y) => order(x) - order(y))) svg.append(boxElement(b));
  if (trace) drawTrace(trace);
}

function boxElement(b) {
  const hub = b.kind === 'device' && (b.label === 'cni0' || b.label.startsWith('cali') || b.label.startsWith('cbr'));
  const tunnel = b.kind === 'device' && /^(flannel\.|vxlan\.calico|tunl0)/.test(b.label);
  const classes = ['box', b.kind, hub && 'hub', tunnel && 'tunnel', b.drift.length > 0 && 'drift', selected === b.id && 'selected'];
  const g = el('g', { class: classes.filter(Boolean).join(' '), 'data-id': b.id, tabindex: 0 });
  g.append(el('rect', { x: b.x, y: b.y, width: b.w, height: b.h }));
  const inline = b.kind === 'device' || b.kind === 'fabric' || b.kind === 'external';
  if (inline) {
    g.append(el('text', { class: 'label', x: b.x + 8, y: b.y + b.h / 2 - (b.kind === 'device' ? 0 : 6), 'dominant-baseline': 'central' }, b.label));
    if (b.kind === 'device')
      g.append(el('text', { class: 'detail', x: b.x + b.w - 8, y: b.y + b.h / 2, 'text-anchor': 'end', 'dominant-baseline': 'central' }, b.detail));
    else g.append(el('text', { class: 'detail', x: b.x + 8, y: b.y + b.h / 2 + 10, 'dominant-baseline': 'central' }, b.detail));
  } else {
    g.append(el('text', { class: 'label', x: b.x + 8, y: b.y + 17 }, b.kind === 'service' ? `svc ${b.label}` : b.label));
    // A node that differs from its plan says what, where its namespace is otherwise named.
    if (!(b.kind === 'node' && b.drift.length > 0)) g.append(el('text', { class: 'detail', x: b.x + 8, y: b.y + 33 }, b.detail));
    if (b.badges.length > 0) g.append(el('text', { class: 'badge', x: b.x + b.w - 6, y: b.y + 14, 'text-anchor': 'end' }, b.badges.join(' · ')));
  }
  if (b.kind === 'node' && b.drift.length > 0) {
    // The difference named on the node itself, where a student looks.
    g.append(el('text', { class: 'drift-text', x: b.x + 8, y: b.y + 33 }, `✘ ${b.drift[0]}${b.drift.length > 1 ? ` (+${b.drift.length - 1})` : ''}`));
  }
  g.append(el('title', {}, [b.label, b.detail, ...b.drift.map((d) => `✘ ${d}`)].join('\n')));
  g.addEventListener('click', () => select(b.id));
  g.addEventListener('keydown', (e) => e.key === 'Enter' && select(b.id));
  return g;
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---------------------------------------------------------------- details

function select(id) {
  selected = id;
  for (const g of document.querySelectorAll('.box.selected')) g.classList.remove('selected');
  document.querySelector(`.box[data-id="${CSS.escape(id)}"]`)?.classList.add('selected');
  showDetails(id);
}

/** What `netlab status --json` knows of the object, as a list of fields. */
function showDetails(id) {
  if (!snapshot?.status) return;
  const s = snapshot.status;
  const box = snapshot.picture.boxes.find((b) => b.id === id);
  const [kind, name, device] = id.split('/');
  let title = box ? box.label : id;
  let fields = [];
  if (kind === 'node') {
    const n = s.nodes.find((x) => x.name === name);
    if (n) {
      title = device ? `${device} on node ${name}` : `node ${name}`;
      fields = [
        ['namespace', n.netns],
        ['eth0', `${n.address} · MAC ${n.mac}`],
        ['pod subnet', n.podSubnet],
        ['pods\u2019 gateway', n.gateway],
        ...(n.bridge ? [['bridge', n.bridge]] : []),
        ...(device && box ? [[device, box.detail]] : []),
        ...Object.entries(n.annotations).map(([k, v]) => [k.replace('flannel.alpha.coreos.com/', 'flannel '), v]),
        ...(n.bgp ?? []).map((b) => [`BGP ${b.session}`, `${b.peer}: ${b.state}`]),
        ...(n.routes ?? []).map((r, i) => [i === 0 ? 'routes' : '', r]),
        ['present', n.present ? 'yes' : 'no: its namespace is gone'],
        ['pods', s.pods.filter((p) => p.node === name).length],
      ];
    }
  } else if (kind === 'pod') {
    const p = s.pods.find((x) => x.name === name);
    if (p) {
      title = `pod ${name}`;
      const policies = s.policies.filter((x) => x.isolates.includes(name));
      fields = [
        ['address', p.ip],
        ['eth0 MAC', p.mac],
        ['node', p.node],
        ['namespace', p.netns],
        ['host veth', `${p.hostVeth}${p.hostVethIndex !== undefined ? ` (ifindex ${p.hostVethIndex})` : ''} · MAC ${p.hostVethMac}`],
        ...(p.eth0Index !== undefined ? [['eth0 ifindex', p.eth0Index]] : []),
        ['isolated by', policies.length > 0 ? policies.map((x) => `${x.name} (${x.types.join(', ')})`).join('; ') : 'no NetworkPolicy: all traffic allowed'],
        ['present', p.present ? 'yes' : 'no: its namespace is gone'],
      ];
    }
  } else if (kind === 'service') {
    const v = s.services.find((x) => x.name === name);
    if (v) {
      title = `Service ${name}`;
      fields = [
        ['type', v.type],
        ['cluster IP', v.clusterIP],
        ...(v.loadBalancer
          ? [['external IP', v.loadBalancer.ingress.map((i) => i.ip).join(', ') + (v.loadBalancer.pool ? ` (pool ${v.loadBalancer.pool})` : '')]]
          : []),
        ...(v.externalIPs ? [['external IPs', v.externalIPs.join(', ')]] : []),
        ...v.ports.map((p) => [
          `port ${p.name || p.port}`,
          `${p.port}/${p.protocol}${p.nodePort ? ` · NodePort ${p.nodePort}` : ''} → ${p.endpoints.length > 0 ? p.endpoints.join(', ') : 'no endpoints'}`,
        ]),
        ...v.ports.flatMap((p) => (p.chains ?? []).map((c, i) => [i === 0 ? 'kube-proxy chains' : '', c])),
      ];
    }
  } else if (box) {
    fields = [
      ['about', box.detail],
      ['backend', s.backend ?? ''],
    ];
  }
  if (box) for (const d of box.drift) fields.push(['✘ differs', d]);
  $('details-hint').hidden = true;
  $('details-title').textContent = title;
  $('fields').replaceChildren(...fields.flatMap(([k, v]) => [textEl('dt', k), textEl('dd', String(v))]));
}

function textEl(name, text, cls) {
  const node = document.createElement(name);
  node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

// ---------------------------------------------------------------- trace

function fillChoices(s) {
  const sources = [...s.pods.map((p) => p.name), ...s.nodes.map((n) => n.name)];
  const destinations = [...sources, ...s.services.map((v) => `service/${v.name}`)];
  $('sources').replaceChildren(...sources.map((v) => Object.assign(document.createElement('option'), { value: v })));
  $('destinations').replaceChildren(...destinations.map((v) => Object.assign(document.createElement('option'), { value: v })));
}

async function askTrace(verify) {
  const query = new URLSearchParams({ from: $('from').value.trim(), to: $('to').value.trim() });
  if ($('proto').value) query.set('proto', $('proto').value);
  if ($('port').value.trim()) query.set('port', $('port').value.trim());
  if (verify) query.set('verify', '1');
  $('trace-result').textContent = verify ? 'Sending the packet and capturing on every hop…' : 'Walking the packet through the live kernel…';
  $('hops').replaceChildren();
  let answer;
  try {
    const response = await fetch(`api/trace?${query}`);
    answer = await response.json();
    if (!response.ok) throw new Error(answer.error ?? response.statusText);
  } catch (e) {
    $('trace-result').textContent = `✘ ${e.message}`;
    trace = undefined;
    if (snapshot?.picture) draw(snapshot.picture);
    return;
  }
  trace = answer;
  const head = `${answer.from} → ${answer.to}: ${answer.arrived ? 'arrives' : 'does not arrive'} in ${answer.hops.length} hops`;
  const verified = answer.verification
    ? ` · verified: ${answer.verification.traffic}${answer.verification.verdict ? ` · ✘ ${answer.verification.verdict}` : ''}`
    : '';
  $('trace-result').textContent = head + verified;
  $('hops').replaceChildren(
    ...answer.hops.map((h) => {
      const li = document.createElement('li');
      li.dataset.n = h.n;
      li.dataset.box = h.box;
      li.append(textEl('strong', `${h.where}${h.iface ? ` ${h.iface}` : ''}`), document.createTextNode(` ${h.summary}`));
      if (h.seen !== undefined) li.append(textEl('span', h.seen ? ' ✔ captured here' : ' ✘ not seen here', h.seen ? 'seen' : 'unseen'));
      if (h.entry) li.append(textEl('span', h.entry, 'entry'));
      return li;
    }),
  );
  if (snapshot?.picture) draw(snapshot.picture);
}

/** The path across the picture: a line through the boxes hop by hop, each hop numbered where it happens. */
function drawTrace(t) {
  const svg = $('picture');
  const byId = new Map(snapshot.picture.boxes.map((b) => [b.id, b]));
  const points = [];
  const layer = el('g', { class: 'trace' });
  const visits = new Map();
  for (const h of t.hops) {
    const b = byId.get(h.box);
    if (!b) continue;
    document.querySelector(`.box[data-id="${CSS.escape(b.id)}"]`)?.classList.add('on-path');
    // Several hops in one box sit side by side.
    const k = visits.get(b.id) ?? 0;
    visits.set(b.id, k + 1);
    // On the fabric, a hop sits above the node whose port it crosses.
    const port = b.kind === 'fabric' ? byId.get(`node/${h.iface}/eth0`) : undefined;
    const x = port ? port.x + port.w / 2 + (k % 2) * 20 - 10 : Math.min(b.x + b.w - 10, b.x + 14 + k * 20);
    const y = b.y + b.h - 10;
    points.push(`${x},${y}`);
    const mark = el('g', { class: `hop-mark${h.seen === false ? ' unseen' : ''}`, 'data-n': h.n, 'data-box': b.id });
    mark.append(el('circle', { cx: x, cy: y, r: 8 }), el('text', { x, y }, String(h.n)));
    mark.append(el('title', {}, `${h.n}. ${h.where}${h.iface ? ` ${h.iface}` : ''}: ${h.summary}${h.entry ? `\n${h.entry}` : ''}`));
    layer.append(mark);
  }
  layer.prepend(el('polyline', { class: `trace-path${t.arrived ? '' : ' stopped'}`, points: points.join(' ') }));
  svg.append(layer);
}

// ---------------------------------------------------------------- tests

function onTest(e) {
  if (e.event === 'start') run = { id: e.run, at: e.at, tests: e.tests.map((t) => ({ ...t, status: 'pending' })), end: undefined };
  if (!run || e.run !== run.id) return;
  if (e.event === 'result' && run.tests[e.index]) Object.assign(run.tests[e.index], { status: e.status, message: e.message });
  if (e.event === 'end') run.end = e;
  renderTests();
}

function renderTests() {
  if (!run) {
    $('tests-summary').textContent = 'No run yet. netlab test FILE in a terminal shows up here as it runs.';
    $('test-list').replaceChildren();
    return;
  }
  const done = run.tests.filter((t) => t.status !== 'pending');
  const failed = done.filter((t) => t.status === 'failed').length;
  $('tests-summary').textContent = run.end
    ? `${run.end.passed} passed, ${run.end.failed} failed in ${run.end.seconds.toFixed(1)} s`
    : `running: ${done.length} of ${run.tests.length} done${failed ? `, ${failed} failed` : ''}`;
  // A 10,000-case conformance run lists its failures and the newest results, not every row.
  const shown = run.tests.length > 200 ? run.tests.filter((t) => t.status === 'failed').slice(0, 100) : run.tests;
  $('test-list').replaceChildren(
    ...shown.map((t) => {
      const li = textEl('li', `${t.status === 'passed' ? '✔' : t.status === 'failed' ? '✘' : '…'} ${t.name}`, t.status);
      if (t.message) li.title = t.message;
      return li;
    }),
  );
}

// ---------------------------------------------------------------- drift

function renderDrift(s) {
  const list = s.drift ?? [];
  $('drift-summary').textContent = list.length === 0 ? 'Nothing differs from the plan.' : 'netlab up repairs what differs:';
  $('drift-list').replaceChildren(...list.map((d) => textEl('li', `${d.where}: ${d.what}`)));
}
