// The SampleMind live dashboard: KPI tiles and charts fed by GET /api/live (Server-Sent Events, read over fetch so
// the API key travels in the Authorization header), plus segments, risk, features and alerts polled when this client-api
// serves them (the OpenAPI document says which), and a user lookup.
'use strict';

const KEY_STORAGE = 'samplemind.apiKey';
const POLL_MS = 10_000;
const ALERTS_MS = 5_000;
const RECONNECT_MS = 2_000;

const state = {
  key: null,
  paths: new Set(),
  days: new Map(), // 'YYYY-MM-DD' → KPI day row
  window: null, // { from, to } of the day series
  tiles: null,
  mrr: [], // MRR rows of the last 30 days (GET /api/revenue/mrr's shape)
  charts: new Map(),
  started: false,
};

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- formatting -------------------------------------------------------------------------------
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
const fmtInt = (v) => (v == null ? '–' : integer.format(v));
const fmtMoney = (v) => (v == null ? '–' : `$${money.format(v)}`);
const fmtPercent = (v) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`);
const fmtNumber = (v) => (v == null ? '–' : decimal.format(v));
const fmtDuration = (v) => (v == null ? '–' : v < 60 ? `${v} s` : v < 3600 ? `${Math.floor(v / 60)} min ${v % 60} s` : `${(v / 3600).toFixed(1)} h`);
const fmtRating = (v) => (v == null ? '–' : Number(v).toFixed(2));
const fmtTime = (v) => (v ? new Date(v).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '–');

// ---- API access -------------------------------------------------------------------------------
class Unauthorized extends Error {}

async function api(path, purpose) {
  const headers = { Authorization: `Bearer ${state.key}`, Accept: 'application/json' };
  // The read audit records why one person's data was read.
  if (purpose) headers['X-Purpose'] = purpose;
  const response = await fetch(path, { headers });
  if (response.status === 401 || response.status === 403) throw new Unauthorized(`${response.status}`);
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function askForKey(message) {
  if (message) $('key-message').textContent = message;
  const dialog = $('key-dialog');
  if (!dialog.open) dialog.showModal();
}

$('key-form').addEventListener('submit', () => {
  state.key = $('key-input').value.trim();
  sessionStorage.setItem(KEY_STORAGE, state.key);
  start();
});
$('change-key').addEventListener('click', () => askForKey());

// ---- charts -----------------------------------------------------------------------------------
function chart(id) {
  let instance = state.charts.get(id);
  if (!instance) {
    instance = echarts.init($(id), null, { renderer: 'canvas' });
    state.charts.set(id, instance);
  }
  return instance;
}

/** Shows the chart with the option, or its card's empty-state text instead. */
function render(id, option, emptyText) {
  const element = $(id);
  const empty = element.parentElement.querySelector('.empty');
  if (emptyText) {
    element.hidden = true;
    empty.hidden = false;
    empty.textContent = emptyText;
    return;
  }
  empty.hidden = true;
  element.hidden = false;
  chart(id).setOption(option, { notMerge: true });
  chart(id).resize();
}

window.addEventListener('resize', () => state.charts.forEach((c) => c.resize()));

const grid = { left: 56, right: 56, top: 36, bottom: 32 };
const legendGrid = { ...grid, top: 64 }; // five segment names wrap the legend onto two lines
const legend = { top: 0 };
const tooltip = { trigger: 'axis' };

function renderActivity() {
  const rows = [...state.days.values()].sort((a, b) => a.date.localeCompare(b.date));
  render('chart-activity', {
    tooltip, legend, grid,
    xAxis: { type: 'category', data: rows.map((r) => r.date) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: 'DAU', type: 'line', smooth: true, data: rows.map((r) => r.dau) },
      { name: 'WAP', type: 'line', smooth: true, data: rows.map((r) => r.wap) },
    ],
  }, rows.length ? null : 'No KPI days yet.');
}

const labelledGrid = { ...grid, bottom: 72 };

// ChartMogul's movements as stacked bars (gains up, losses down) and MRR at the end of each day as a line.
const MRR_MOVEMENTS = [['New', 'new'], ['Expansion', 'expansion'], ['Reactivation', 'reactivation'], ['Contraction', 'contraction'], ['Churn', 'churn']];

function renderMrr(rows) {
  state.mrr = rows;
  const moved = rows.some((r) => r.mrr !== 0 || r.net !== 0);
  render('chart-mrr', {
    tooltip, legend, grid,
    xAxis: { type: 'category', data: rows.map((r) => r.date) },
    yAxis: [{ type: 'value', name: 'movement $' }, { type: 'value', name: 'MRR $' }],
    series: [
      ...MRR_MOVEMENTS.map(([name, field]) => ({ name, type: 'bar', stack: 'movements', data: rows.map((r) => r[field]) })),
      { name: 'MRR', type: 'line', yAxisIndex: 1, data: rows.map((r) => r.mrr) },
    ],
  }, moved ? null : 'No Stripe subscriptions yet (point a Stripe webhook at /webhooks/stripe).');
}

// ---- forecasts (GET /api/forecasts/*): a fan chart, the 85 % band stacked on its lower bound, the baseline as a line.
const FORECAST_MS = 60_000;

async function refreshForecast(id, path) {
  if (!state.paths.has(path.split('?')[0])) {
    render(id, null, 'Forecasts are not served by this client-api yet.');
    return;
  }
  const response = await fetch(path, { headers: { Authorization: `Bearer ${state.key}`, Accept: 'application/json' } });
  if (response.status === 401 || response.status === 403) throw new Unauthorized(`${response.status}`);
  const body = await response.json();
  if (!response.ok) {
    render(id, null, body.detail ?? `${path}: ${response.status}`);
    return;
  }
  const points = body.points;
  render(id, {
    tooltip, grid,
    legend: { top: 0, data: ['baseline', '85 % interval'] },
    xAxis: { type: 'category', data: points.map((p) => p.date) },
    yAxis: { type: 'value', scale: true },
    series: [
      { name: 'lower', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, data: points.map((p) => p.lower) },
      { name: '85 % interval', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25 },
        data: points.map((p) => +(p.upper - p.lower).toFixed(2)) },
      { name: 'baseline', type: 'line', symbol: 'none', data: points.map((p) => p.baseline) },
    ],
  }, points.length ? null : 'No forecast yet.');
}

function renderModels(models) {
  render('chart-models', {
    tooltip, legend, grid: labelledGrid,
    xAxis: { type: 'category', data: models.map((m) => `${m.model}@${m.version}`), axisLabel: { interval: 0, rotate: 30, width: 110, overflow: 'truncate' } },
    yAxis: [{ type: 'value', name: 'p99 ms' }, { type: 'value', name: 'error %', axisLabel: { formatter: '{value}%' } }],
    series: [
      { name: 'p99 latency (ms)', type: 'bar', data: models.map((m) => m.p99LatencyMs) },
      { name: 'error rate (%)', type: 'line', yAxisIndex: 1, data: models.map((m) => (m.errorRate == null ? null : +(m.errorRate * 100).toFixed(2))) },
    ],
  }, models.length ? null : 'No AI-model requests yet.');
}

function renderCampaigns(campaigns) {
  render('chart-campaigns', {
    tooltip, legend, grid: labelledGrid,
    xAxis: { type: 'category', data: campaigns.map((c) => c.id), axisLabel: { interval: 0, rotate: 30, width: 110, overflow: 'truncate' } },
    yAxis: [{ type: 'value', name: '$' }, { type: 'value', name: 'ROI' }],
    series: [
      { name: 'CAC', type: 'bar', data: campaigns.map((c) => c.cac) },
      { name: 'LTV', type: 'bar', data: campaigns.map((c) => c.ltv) },
      { name: 'ROI', type: 'line', yAxisIndex: 1, data: campaigns.map((c) => c.roi) },
    ],
  }, campaigns.length ? null : 'No attributed campaigns yet.');
}

function renderExperiments(experiments) {
  const bars = experiments.flatMap((e) => e.variants.map((v, i) => ({ e, v, control: i === 0 })));
  render('chart-experiments', {
    tooltip: {
      trigger: 'axis',
      formatter: (items) => {
        const { e, v, control } = bars[items[0].dataIndex];
        return `${e.key} · ${v.name}<br>exposed ${fmtInt(v.exposed)}, rate ${fmtPercent(v.rate)}`
          + (control ? ' (control)' : v.diff == null ? '' : `<br>diff ${fmtPercent(v.diff)} [${fmtPercent(v.ciLow)}, ${fmtPercent(v.ciHigh)}], sequential p ${fmtNumber(v.sequentialPValue)}`);
      },
    },
    grid: labelledGrid,
    xAxis: { type: 'category', data: bars.map(({ e, v }) => `${e.key} · ${v.name}`), axisLabel: { interval: 0, rotate: 30, width: 130, overflow: 'truncate' } },
    yAxis: { type: 'value', name: 'conversion %' },
    series: [{
      name: 'conversion rate (%)', type: 'bar',
      data: bars.map(({ e, v }) => ({
        value: v.rate == null ? null : +(v.rate * 100).toFixed(2),
        itemStyle: e.winner === v.name ? { color: '#2e7d32' } : undefined,
      })),
    }],
  }, experiments.length ? null : 'No experiments yet (POST /api/experiments).');
  const table = $('experiments-table');
  table.hidden = experiments.length === 0;
  const body = table.querySelector('tbody');
  body.replaceChildren(...bars.map(({ e, v, control }) => {
    const row = document.createElement('tr');
    row.dataset.experiment = e.key;
    row.dataset.variant = v.name;
    const diff = control ? 'control' : v.diff == null ? '–' : `${fmtPercent(v.diff)} [${fmtPercent(v.ciLow)}, ${fmtPercent(v.ciHigh)}]`;
    const status = e.winner === v.name ? `${e.status}, winner` : e.status;
    for (const text of [e.key, v.name, fmtInt(v.exposed), fmtPercent(v.rate), diff, control ? '–' : fmtNumber(v.sequentialPValue), status]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
}

function renderFunnels(funnels) {
  for (const funnel of funnels) {
    const id = `chart-funnel-${funnel.name}`;
    if (!$(id)) continue;
    const top = funnel.steps.length ? funnel.steps[0].users : 0;
    render(id, {
      tooltip: { trigger: 'item', formatter: (p) => `${p.name}: ${fmtInt(p.value)} users` },
      series: [{
        type: 'funnel', sort: 'none', left: '4%', width: '56%', minSize: '6%', gap: 2,
        label: { position: 'right', formatter: (p) => `${p.name}  ${fmtInt(p.value)}` },
        data: funnel.steps.map((s) => ({ name: s.step, value: s.users })),
      }],
    }, top || funnel.steps[0]?.suppressed ? null : 'Nobody has entered this funnel yet.');
  }
}

function renderCohorts(cohorts) {
  const names = cohorts.map((c) => c.cohort).sort();
  const months = Math.max(0, ...cohorts.flatMap((c) => c.months.map((m) => m.monthsSinceSignup))) + 1;
  const data = cohorts.flatMap((c) => c.months.map((m) => [m.monthsSinceSignup, names.indexOf(c.cohort), m.revenuePerUser ?? 0]));
  const max = Math.max(1, ...data.map((d) => d[2]));
  render('chart-cohorts', {
    tooltip: { formatter: (p) => `${names[p.value[1]]}, month ${p.value[0]}: ${fmtMoney(p.value[2])} per user` },
    grid: { left: 72, right: 72, top: 16, bottom: 40 },
    xAxis: { type: 'category', name: 'months since signup', nameLocation: 'middle', nameGap: 24, data: [...Array(months).keys()] },
    yAxis: { type: 'category', data: names },
    visualMap: { min: 0, max, calculable: true, orient: 'vertical', right: 0, top: 'middle', itemHeight: 140, formatter: (v) => `$${money.format(v)}` },
    series: [{ type: 'heatmap', data, label: { show: names.length * months <= 60, formatter: (p) => money.format(p.value[2]) } }],
  }, cohorts.length ? null : 'No signup cohorts yet.');
}

// ---- endpoints other parts of the system serve (empty state when this client-api lacks them) --
function windowQuery() {
  const w = state.window;
  return w ? `from=${w.from}&to=${w.to}` : '';
}

async function refreshSegments() {
  if (!state.paths.has('/api/segments')) {
    const text = 'Segments are not served by this client-api yet.';
    render('chart-segments', null, text);
    render('chart-transitions', null, text);
    return;
  }
  if (!state.window) return;
  const days = (await api(`/api/segments?${windowQuery()}`)) ?? [];
  const segments = ['power_users', 'regulars', 'explorers', 'dormant', 'unclassified'];
  render('chart-segments', {
    tooltip, legend, grid: legendGrid,
    xAxis: { type: 'category', data: days.map((d) => d.date) },
    yAxis: { type: 'value', minInterval: 1 },
    series: segments.map((s) => ({ name: s, type: 'line', stack: 'users', areaStyle: {}, symbol: 'none', data: days.map((d) => (d.counts && s in d.counts ? d.counts[s] : 0)) })), // null: a suppressed small group (a gap)
  }, days.length ? null : 'No segment days yet.');
  const moves = new Map();
  for (const day of days) {
    // Suppressed moves (users null, README "Small groups") are left out of the sums.
    for (const t of (day.transitions ?? []).filter((m) => m.users != null)) moves.set(`${t.from} → ${t.to}`, (moves.get(`${t.from} → ${t.to}`) ?? 0) + t.users);
  }
  const sorted = [...moves.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).reverse();
  render('chart-transitions', {
    tooltip, grid: { ...grid, left: 170 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: sorted.map((m) => m[0]) },
    series: [{ name: 'users', type: 'bar', data: sorted.map((m) => m[1]) }],
  }, sorted.length ? null : 'No segment transitions in the last 30 days.');
}

async function refreshRisk() {
  if (!state.paths.has('/api/risk/summary')) {
    render('chart-risk', null, 'Churn risk is not served by this client-api yet.');
    return;
  }
  const summary = await api('/api/risk/summary');
  const levels = ['HIGH', 'MEDIUM', 'LOW'];
  const segments = Object.keys(summary?.bySegment ?? {});
  render('chart-risk', {
    tooltip, legend, grid: legendGrid,
    xAxis: { type: 'category', data: levels },
    yAxis: { type: 'value', minInterval: 1 },
    series: segments.map((s) => ({ name: s, type: 'bar', stack: 'users', data: levels.map((l) => summary.bySegment[s]?.[l] ?? 0) })),
  }, summary && summary.total ? null : 'No scored users yet.');
}

async function refreshAlerts() {
  const list = $('alerts');
  const empty = $('alerts-card').querySelector('.empty');
  if (!state.paths.has('/api/alerts')) {
    list.replaceChildren();
    empty.hidden = false;
    empty.textContent = 'Alerts are not served by this client-api yet.';
    return;
  }
  const alerts = (await api('/api/alerts?state=firing')) ?? [];
  list.replaceChildren(...alerts.map((a) => {
    const item = document.createElement('li');
    item.dataset.severity = a.severity;
    const title = document.createElement('b');
    title.textContent = `${a.severity.toUpperCase()} · ${a.rule}`;
    const text = document.createElement('div');
    text.textContent = `${a.message} (value ${fmtNumber(a.value)}, threshold ${fmtNumber(a.threshold)}, since ${fmtTime(a.firedAt)})`;
    item.append(title, text);
    return item;
  }));
  empty.hidden = alerts.length > 0;
  empty.textContent = 'No firing alerts.';
}

const fmtPoints = (v) => (v == null ? '–' : `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)} pp`);

/** One row per feature and adoption week; a figure withheld for a small group (null) shows as a dash. */
async function refreshFeatures() {
  const table = $('features-table');
  const empty = $('features-card').querySelector('.empty');
  const features = state.paths.has('/api/features') ? (await api('/api/features')) ?? [] : null;
  table.hidden = !features || features.length === 0;
  empty.hidden = !table.hidden;
  empty.textContent = features ? 'No feature_used events yet.' : 'Feature analytics are not served by this client-api yet.';
  const rows = (features ?? []).flatMap((f) => (f.weeks.length ? f.weeks : [null]).map((w) => ({ f, w })));
  table.querySelector('tbody').replaceChildren(...rows.map(({ f, w }) => {
    const row = document.createElement('tr');
    row.dataset.feature = f.feature;
    if (w) row.dataset.week = w.adoptionWeek;
    if (f.suppressed || w?.suppressed) row.title = 'Some figures withheld: a group under the small-group threshold (Privacy:MinGroupSize)';
    const cells = w
      ? [f.feature, w.adoptionWeek, fmtInt(w.adopters), fmtNumber(w.averageUsage), fmtPercent(w.retention), fmtPercent(w.nonAdopterRetention),
          fmtPoints(w.retentionImpact), fmtMoney(w.adopterRevenue), fmtMoney(f.revenueImpact), fmtMoney(w.featureValue)]
      : [f.feature, '–', '–', '–', '–', '–', '–', '–', '–', '–'];
    for (const text of cells) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
}

async function every(ms, refresh) {
  for (;;) {
    try {
      await refresh();
    } catch (error) {
      if (error instanceof Unauthorized) return askForKey('The API key was refused; enter another.');
    }
    await sleep(ms);
  }
}

// ---- live stream --------------------------------------------------------------------------------
const TILES = {
  dau: ['dau', fmtInt], wap: ['wap', fmtInt], signups: ['newSignups', fmtInt], revenue: ['dailyRevenue', fmtMoney],
  arpu: ['arpu', fmtMoney], conversion: ['conversionRate', fmtPercent], quality: ['qualityScore', fmtRating],
};

function setTile(name, value, format) {
  const element = $(`tile-${name}`);
  const text = format(value);
  if (element.textContent !== text) {
    element.textContent = text;
    element.dataset.value = value ?? '';
    element.classList.add('changed');
    setTimeout(() => element.classList.remove('changed'), 800);
  }
}

function renderTiles() {
  const t = state.tiles;
  if (!t) return;
  setTile('dau', t.dau, fmtInt);
  setTile('wap', t.wap, fmtInt);
  setTile('signups', t.signups, fmtInt);
  setTile('revenue', t.revenue, fmtMoney);
  setTile('mrr', t.mrr, fmtMoney);
  const stripe = t.mrrSource === 'stripe';
  $('tile-mrr-note').textContent = stripe ? 'Stripe subscriptions' : 'trailing 30 days';
  $('tile-mrr-label').title = stripe ? 'Monthly recurring revenue of the Stripe subscriptions, normalised to a month' : 'Revenue of the trailing 30 days';
  setTile('arpu', t.arpu, fmtMoney);
  setTile('conversion', t.conversionRate, fmtPercent);
  setTile('ttfv', t.ttfvMedianSeconds, fmtDuration);
  $('tile-ttfv-p90').textContent = t.ttfvP90Seconds == null ? '' : `p90 ${fmtDuration(t.ttfvP90Seconds)}`;
  setTile('quality', t.qualityScore, fmtRating);
  const yesterday = new Date(`${t.date}T00:00:00Z`);
  yesterday.setUTCDate(yesterday.getUTCDate() - 1);
  const previous = state.days.get(yesterday.toISOString().slice(0, 10));
  for (const [tile, [field, format]] of Object.entries(TILES)) {
    $(`tile-${tile}-sub`).textContent = previous ? `yesterday ${format(previous[field])}` : '';
  }
}

const handlers = {
  tiles(t) {
    state.tiles = t;
    renderTiles();
  },
  days(d) {
    for (const row of d.rows) state.days.set(row.date, row);
    for (const date of [...state.days.keys()]) if (date < d.from) state.days.delete(date);
    const moved = !state.window || state.window.to !== d.to;
    state.window = { from: d.from, to: d.to };
    renderActivity();
    renderTiles();
    if (moved) refreshSegments().catch(() => {});
  },
  models: renderModels,
  campaigns: renderCampaigns,
  funnels: renderFunnels,
  cohorts: renderCohorts,
  experiments: renderExperiments,
  mrr: renderMrr,
  unavailable() {
    setStatus('unavailable', 'cluster unavailable');
  },
};

function setStatus(name, text) {
  $('status').dataset.state = name;
  $('status').textContent = text ?? name;
}

function dispatch(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  const handler = handlers[type];
  if (!handler || !data.length) return;
  if (type !== 'unavailable') {
    setStatus('live');
    $('as-of').textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
  }
  handler(JSON.parse(data.join('\n')));
}

async function live() {
  for (;;) {
    try {
      const response = await fetch('/api/live', { headers: { Authorization: `Bearer ${state.key}`, Accept: 'text/event-stream' }, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        state.started = false;
        return askForKey('The API key was refused; enter a key with the read role.');
      }
      if (response.ok) {
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replaceAll('\r\n', '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      }
    } catch {
      // the connection dropped: reconnect below
    }
    setStatus('reconnecting', 'reconnecting…');
    await sleep(RECONNECT_MS);
  }
}

// ---- user lookup --------------------------------------------------------------------------------
function definition(list, term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

function showUser(user) {
  const risk = user.risk;
  $('user-risk-level').textContent = risk.level;
  $('user-risk-level').dataset.level = risk.level;
  $('user-risk-score').textContent = `(score ${risk.score.toFixed(3)})`;
  $('user-segment').textContent = user.segment;
  $('user-ltv').textContent = fmtMoney(user.ltv);
  $('user-ltv-impact').textContent = fmtMoney(risk.expectedLtvImpact);
  $('user-model').textContent = `model ${risk.modelVersion}`;
  $('user-factors').replaceChildren(...risk.factors.map((f) => {
    const row = document.createElement('tr');
    row.title = f.description;
    for (const text of [f.feature, fmtNumber(f.value), fmtNumber(f.contribution)]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
  $('user-actions').replaceChildren(...risk.actions.map((a) => {
    const item = document.createElement('li');
    item.textContent = a;
    return item;
  }));
  const profile = $('user-profile');
  profile.replaceChildren();
  definition(profile, 'User', user.userId);
  definition(profile, 'Plan', user.profile.plan);
  definition(profile, 'Subscription', `${user.subscription.status}${user.subscription.plan ? ` (${user.subscription.plan})` : ''}`);
  definition(profile, 'Signed up', fmtTime(user.profile.signupAt));
  definition(profile, 'Last active', fmtTime(user.lastActiveAt));
  definition(profile, 'Events applied', fmtInt(user.eventsApplied));
  definition(profile, 'Analyses, last 7 days', fmtInt(user.analysesLast7Days));
  definition(profile, 'Weekly active producer', user.isWeeklyActiveProducer ? 'yes' : 'no');
  definition(profile, 'Features used', fmtInt(user.featuresUsed.length));
  definition(profile, 'Lifetime revenue', fmtMoney(user.lifetimeRevenue));
  definition(profile, 'Payments / failures', `${fmtInt(user.payments)} / ${fmtInt(user.paymentFailures.length)}`);
  definition(profile, 'Support tickets', fmtInt(user.supportTickets));
  definition(profile, 'Acquisition', user.profile.campaign ?? user.profile.acquisitionSource ?? '–');
  const history = user.segmentHistory.slice(-3).map((h) => `${h.date}: ${h.from} → ${h.to}`).join('; ');
  definition(profile, 'Segment history', history || '–');
  $('lookup-result').hidden = false;
}

$('lookup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = $('lookup-id').value.trim();
  if (!id) return;
  $('lookup-message').textContent = 'Looking up…';
  try {
    const user = await api(`/api/users/${encodeURIComponent(id)}`, 'dashboard user lookup');
    if (!user) {
      $('lookup-result').hidden = true;
      $('lookup-message').textContent = `No events have been received for user '${id}'.`;
      return;
    }
    $('lookup-message').textContent = `As of ${fmtTime(user.asOf)}`;
    showUser(user);
  } catch (error) {
    $('lookup-result').hidden = true;
    $('lookup-message').textContent = error instanceof Unauthorized ? 'The API key may not read users.' : `The lookup failed: ${error.message}`;
  }
});

// ---- start --------------------------------------------------------------------------------------
async function start() {
  if (state.started || !state.key) return;
  state.started = true;
  const openapi = await (await fetch('/openapi/v1.json')).json();
  state.paths = new Set(Object.keys(openapi.paths ?? {}));
  live();
  every(POLL_MS, refreshSegments);
  every(POLL_MS, refreshRisk);
  every(POLL_MS, refreshFeatures);
  every(FORECAST_MS, () => refreshForecast('chart-forecast-mrr', '/api/forecasts/mrr'));
  every(FORECAST_MS, () => refreshForecast('chart-forecast-dau', '/api/forecasts/users?series=dau'));
  every(ALERTS_MS, refreshAlerts);
}

async function boot() {
  const config = await (await fetch('/api/dashboard/config')).json();
  $('link-orleans').href = config.orleansDashboardUrl;
  $('link-reference').href = config.apiReference;
  state.key = config.apiKey ?? sessionStorage.getItem(KEY_STORAGE);
  if (state.key) start();
  else askForKey();
}

boot();
