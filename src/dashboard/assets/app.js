// The spendguard dashboard page: plain browser JavaScript, no build step. Every request to the API carries the
// access token in the `x-spendguard-token` header. Text from the store is only ever set with `textContent`.

const TOKEN = new URLSearchParams(location.search).get("token") ?? "";
const POLL_MS = 5000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WARN_PERCENT = 80;
const CRITICAL_PERCENT = 95;
const SVG = "http://www.w3.org/2000/svg";

const state = {
  budgets: [],
  chartRecords: [],
  /** Budget cards by id, kept across refreshes so an open edit form and keyboard focus survive a poll. */
  cards: new Map(),
  /** Numbers the edit forms, for their element ids. */
  nextForm: 0,
  timer: undefined,
  queue: Promise.resolve(),
};

const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
};

// --- API ---

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, body) {
  const init = { headers: { "x-spendguard-token": TOKEN }, cache: "no-store" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error ?? `HTTP ${response.status}`);
  return data;
}

// --- Formatting ---

/** `$1,234.56` from a dollar up, `$0.0723` below, `$0.000123` for fractions of a cent. */
function formatUsd(value) {
  const amount = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  if (amount === 0) return "$0.00";
  if (amount >= 1) {
    return `${sign}$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }
  if (amount >= 0.01) return `${sign}$${trimZeros(amount.toFixed(4))}`;
  if (amount < 0.000001) return `${sign}<$0.000001`;
  return `${sign}$${trimZeros(amount.toPrecision(3))}`;
}

/** Drops trailing zeros beyond the cents: `0.5000` → `0.50`, `0.0720` → `0.072`. */
function trimZeros(text) {
  const [whole, fraction = ""] = text.split(".");
  let digits = fraction.replace(/0+$/, "");
  if (digits.length < 2) digits = digits.padEnd(2, "0");
  return `${whole}.${digits}`;
}

function formatCount(value) {
  return value.toLocaleString("en-US");
}

function formatPercent(value) {
  return `${value >= 10 || value === 0 ? Math.round(value) : value.toFixed(1)}%`;
}

function formatTime(epochMs) {
  const date = new Date(epochMs);
  const today = new Date();
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  if (date.toDateString() === today.toDateString()) return time;
  return `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

function level(percent) {
  if (percent >= CRITICAL_PERCENT) return "crit";
  if (percent >= WARN_PERCENT) return "warn";
  return "ok";
}

function periodText(budget) {
  if (!budget.period) return "Lifetime budget";
  const names = { day: "Daily", week: "Weekly", month: "Monthly" };
  const name = names[budget.period] ?? `Every ${budget.period.replace(/d$/, " days")}`;
  const start = budget.key.startsWith(`${budget.id}:`) ? budget.key.slice(budget.id.length + 1) : "";
  return start ? `${name} · ${start}` : name;
}

// --- DOM helpers ---

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

function setUsd(element, value) {
  element.textContent = formatUsd(value);
  element.dataset.usd = String(value);
  element.title = `$${value}`;
}

function showBanner(message) {
  const banner = $("banner");
  banner.textContent = message;
  banner.hidden = false;
}

function hideBanner() {
  $("banner").hidden = true;
}

function describeError(error) {
  if (error instanceof ApiError && error.status === 401) {
    return "The access token was refused. Open the dashboard with the URL `spendguard dashboard` printed.";
  }
  if (error instanceof ApiError) return `${error.message} (HTTP ${error.status})`;
  return `Could not reach the dashboard server: ${error instanceof Error ? error.message : String(error)}`;
}

// --- Budgets ---

function orderBudgets(budgets) {
  const ids = new Set(budgets.map((budget) => budget.id));
  const children = new Map();
  for (const budget of budgets) {
    const parent = budget.parentId && ids.has(budget.parentId) ? budget.parentId : "";
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(budget);
  }
  const ordered = [];
  const visit = (parent, depth) => {
    for (const budget of children.get(parent) ?? []) {
      ordered.push({ budget, depth });
      if (depth < 16) visit(budget.id, depth + 1);
    }
  };
  visit("", 0);
  return ordered;
}

function createCard(id) {
  const formId = `edit-${state.nextForm++}`;
  const name = el("h3", { className: "budget-name" });
  const badges = el("div", { className: "badges" });
  const spentBar = el("div", { className: "bar-spent" });
  const reservedBar = el("div", { className: "bar-reserved" });
  const bar = el("div", { className: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 });
  bar.append(spentBar, reservedBar);
  const percent = el("span", { className: "percent" });
  const period = el("span", { className: "period" });
  const fields = {};
  const numbers = el("dl", { className: "numbers" });
  for (const [field, label] of [
    ["spent", "Spent"],
    ["reserved", "Reserved"],
    ["remaining", "Remaining"],
    ["budget", "Budget"],
  ]) {
    fields[field] = el("dd", { "data-field": field });
    numbers.append(el("div", {}, el("dt", { text: label }), fields[field]));
  }
  const editButton = el("button", {
    type: "button",
    className: "btn btn-small",
    "aria-expanded": "false",
    "aria-controls": formId,
    "aria-label": `Edit budget ${id}`,
    text: "Edit budget",
  });
  const input = el("input", {
    type: "number",
    min: 0,
    step: "any",
    inputmode: "decimal",
    id: `${formId}-input`,
    name: "budgetUsd",
    required: true,
  });
  const setButton = el("button", {
    type: "submit",
    className: "btn btn-primary btn-small",
    "aria-label": `Set budget of ${id}`,
    text: "Set",
  });
  const clearButton = el("button", {
    type: "button",
    className: "btn btn-small",
    "aria-label": `Clear the budget override of ${id}`,
    text: "Clear override",
  });
  const resetButton = el("button", {
    type: "button",
    className: "btn btn-warn btn-small",
    "aria-label": `Reset the spend of ${id}`,
    text: "Reset spend",
  });
  const cancelButton = el("button", {
    type: "button",
    className: "btn btn-ghost btn-small",
    "aria-label": `Close the editor of ${id}`,
    text: "Cancel",
  });
  const status = el("p", { className: "edit-status", "aria-live": "polite" });
  const form = el(
    "form",
    { className: "edit", id: formId, hidden: true, "aria-label": `Edit budget ${id}` },
    el("label", { for: input.id, text: "New budget (USD)" }),
    el("div", { className: "edit-row" }, input, setButton),
    el("div", { className: "edit-actions" }, clearButton, resetButton, cancelButton),
    status,
  );
  const root = el(
    "li",
    { className: "budget", "data-budget-id": id },
    el("div", { className: "budget-head" }, name, badges),
    el("div", { className: "bar-row" }, bar, percent),
    el("div", { className: "budget-sub" }, period),
    numbers,
    el("div", { className: "budget-actions" }, editButton),
    form,
  );

  const card = { root, name, badges, bar, spentBar, reservedBar, percent, period, fields, editButton, form };
  card.input = input;
  card.clearButton = clearButton;
  card.status = status;

  const toggle = (open) => {
    form.hidden = !open;
    editButton.setAttribute("aria-expanded", String(open));
    status.textContent = "";
    if (open) {
      const budget = state.budgets.find((entry) => entry.id === id);
      if (budget) input.value = String(budget.budgetUsd);
      input.focus();
    } else {
      editButton.focus();
    }
  };
  editButton.addEventListener("click", () => toggle(form.hidden));
  cancelButton.addEventListener("click", () => toggle(false));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") toggle(false);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(value) || value < 0) {
      status.textContent = "Enter an amount of 0 or more.";
      return;
    }
    mutate(
      card,
      { path: "/api/budget", body: { session: id, budgetUsd: value } },
      `Budget set to ${formatUsd(value)}.`,
    );
  });
  clearButton.addEventListener("click", () => {
    mutate(card, { path: "/api/budget", body: { session: id, budgetUsd: null } }, "Override cleared.");
  });
  resetButton.addEventListener("click", () => {
    if (!confirm(`Reset the spend of “${id}” for its current period to $0?`)) return;
    mutate(card, { path: "/api/budget/reset", body: { session: id } }, "Spend reset.");
  });
  return card;
}

async function mutate(card, request, done) {
  card.status.textContent = "Saving…";
  try {
    await api(request.path, request.body);
    card.status.textContent = done;
    await refresh();
  } catch (error) {
    card.status.textContent = describeError(error);
  }
}

function updateCard(card, budget, depth) {
  const util = budget.utilizationPercent;
  const tone = level(util);
  card.root.className = `budget level-${tone}${depth > 0 ? " child" : ""}`;
  card.root.style.setProperty("--depth", String(depth));

  const parentPrefix =
    budget.parentId && budget.id.startsWith(`${budget.parentId}/`) ? `${budget.parentId}/` : "";
  card.name.replaceChildren(
    parentPrefix ? el("span", { className: "parent-prefix", text: parentPrefix }) : "",
    el("span", { text: budget.id.slice(parentPrefix.length) }),
  );

  const badges = [];
  if (budget.panic) badges.push(el("span", { className: "badge badge-crit", text: "Panic" }));
  if (budget.locked) badges.push(el("span", { className: "badge badge-warn", text: "Locked" }));
  if (budget.overridden) {
    badges.push(
      el("span", {
        className: "badge badge-info",
        text: "Override",
        title: `The code's budget is ${formatUsd(budget.codeBudgetUsd)}`,
      }),
    );
  }
  if (tone !== "ok") {
    badges.push(
      el("span", { className: `badge badge-${tone}`, text: tone === "crit" ? "Near limit" : "Warning" }),
    );
  }
  card.badges.replaceChildren(...badges);

  const spentWidth = budget.budgetUsd > 0 ? Math.min(100, (budget.spentUsd / budget.budgetUsd) * 100) : 0;
  const reservedWidth =
    budget.budgetUsd > 0 ? Math.min(100 - spentWidth, (budget.reservedUsd / budget.budgetUsd) * 100) : 0;
  card.spentBar.style.width = `${spentWidth}%`;
  card.reservedBar.style.width = `${reservedWidth}%`;
  card.bar.setAttribute("aria-valuenow", String(Math.round(Math.min(100, util))));
  card.bar.setAttribute("aria-label", `${budget.id}: ${formatPercent(util)} of the budget spent`);
  card.percent.textContent = formatPercent(util);
  card.period.textContent = periodText(budget);

  setUsd(card.fields.spent, budget.spentUsd);
  setUsd(card.fields.reserved, budget.reservedUsd);
  setUsd(card.fields.remaining, budget.remainingUsd);
  setUsd(card.fields.budget, budget.budgetUsd);
  card.clearButton.disabled = !budget.overridden;
}

function renderBudgets(budgets) {
  const list = $("budgets");
  const ordered = orderBudgets(budgets);
  const seen = new Set();
  for (const { budget, depth } of ordered) {
    let card = state.cards.get(budget.id);
    if (!card) {
      card = createCard(budget.id);
      state.cards.set(budget.id, card);
    }
    updateCard(card, budget, depth);
    seen.add(budget.id);
  }
  for (const [id, card] of state.cards) {
    if (!seen.has(id)) {
      card.root.remove();
      state.cards.delete(id);
    }
  }
  // Moving a node blurs it, so the list is only rebuilt when its order changed.
  const wanted = ordered.map(({ budget }) => state.cards.get(budget.id).root);
  const current = [...list.children];
  if (wanted.length !== current.length || wanted.some((node, index) => node !== current[index])) {
    list.replaceChildren(...wanted);
  }
  $("budgets-empty").hidden = budgets.length > 0;
  $("kpi-budgets").textContent = formatCount(budgets.length);

  const panicOn = budgets.some((budget) => budget.panic);
  const button = $("panic");
  button.disabled = budgets.length === 0;
  button.setAttribute("aria-pressed", String(panicOn));
  button.textContent = panicOn ? "Panic is on: resume calls" : "Panic: stop all calls";
  button.className = panicOn ? "btn btn-panic-on" : "btn btn-danger";
  $("panic-banner").hidden = !panicOn;

  updateSessionFilter(budgets);
}

function updateSessionFilter(budgets) {
  const select = $("filter-session");
  const current = select.value;
  const ids = budgets.map((budget) => budget.id);
  const existing = [...select.options].slice(1).map((option) => option.value);
  if (ids.length === existing.length && ids.every((id, index) => id === existing[index])) return;
  select.replaceChildren(
    el("option", { value: "", text: "All sessions" }),
    ...ids.map((id) => el("option", { value: id, text: id })),
  );
  select.value = ids.includes(current) ? current : "";
}

// --- Reports ---

function renderReport(tableId, rows) {
  const body = document.querySelector(`#${tableId} tbody`);
  const total = rows.reduce((sum, row) => sum + row.spentUsd, 0);
  if (rows.length === 0) {
    body.replaceChildren(
      el("tr", {}, el("td", { colspan: 5, className: "empty-cell", text: "No calls yet." })),
    );
    return;
  }
  body.replaceChildren(
    ...rows.map((row) => {
      const share = total > 0 ? (row.spentUsd / total) * 100 : 0;
      const fill = el("span", { className: "share-fill" });
      fill.style.width = `${share}%`;
      const cost = el("td", { className: "num" });
      setUsd(cost, row.spentUsd);
      return el(
        "tr",
        { "data-key": row.key },
        el("td", { className: "mono", text: row.key }),
        el("td", { className: "num", text: formatCount(row.requests) }),
        el("td", { className: "num", text: formatCount(row.blocked) }),
        cost,
        el(
          "td",
          { className: "share-col" },
          el(
            "span",
            { className: "share", role: "img", "aria-label": `${formatPercent(share)} of spend` },
            fill,
          ),
        ),
      );
    }),
  );
}

function renderTotals(providerRows) {
  let spent = 0;
  let calls = 0;
  let blocked = 0;
  for (const row of providerRows) {
    spent += row.spentUsd;
    calls += row.requests;
    blocked += row.blocked;
  }
  setUsd($("kpi-spent"), spent);
  $("kpi-calls").textContent = formatCount(calls);
  $("kpi-blocked").textContent = formatCount(blocked);
}

// --- History ---

const STATUS_LABELS = { settled: "Settled", blocked: "Refused", failed: "Failed" };
const HISTORY_COLUMNS = ["Time", "Session", "Model", "Status", "Reason", "Cost", "Held", "Tokens in / out"];

function renderHistory(records) {
  const body = document.querySelector("#history tbody");
  body.replaceChildren(
    ...records.map((record) => {
      const cost = el("td", { className: "num" });
      setUsd(cost, record.actualUsd);
      const held = el("td", { className: "num" });
      setUsd(held, record.status === "blocked" ? record.estimatedUsd : record.heldUsd);
      if (record.status === "blocked") held.title = "The worst case the refused call would have held";
      const reason = [record.reason, ...record.flags].filter(Boolean).join(", ");
      const tokens = record.usage
        ? `${formatCount(record.usage.inputTokens ?? 0)} / ${formatCount(record.usage.outputTokens ?? 0)}`
        : "–";
      const cells = [
        el("td", { className: "nowrap cell-time", text: formatTime(record.time) }),
        el("td", { className: "mono cell-session", text: record.sessionId }),
        el("td", { className: "mono cell-model", text: record.resolvedModel ?? record.model }),
        el(
          "td",
          { className: "cell-status" },
          el("span", {
            className: `status status-${record.status}`,
            text: STATUS_LABELS[record.status] ?? record.status,
          }),
        ),
        el("td", { className: "mono reason cell-reason", text: reason || "–" }),
        cost,
        held,
        el("td", { className: "num nowrap", text: tokens }),
      ];
      // On a phone each row is a card: every cell shows its column's name (style.css, max-width 640px).
      for (const [index, label] of HISTORY_COLUMNS.entries()) cells[index]?.setAttribute("data-label", label);
      return el("tr", { "data-status": record.status, "data-id": record.id }, ...cells);
    }),
  );
  if (records.length === 0) {
    body.replaceChildren(
      el(
        "tr",
        { "data-empty": "" },
        el("td", { colspan: HISTORY_COLUMNS.length, className: "empty-cell", text: "No calls match." }),
      ),
    );
  }
}

async function loadSessionSummary(session) {
  const line = $("session-summary");
  if (!session) {
    line.hidden = true;
    return;
  }
  const { summary } = await api(`/api/summary?session=${encodeURIComponent(session)}`);
  const reasons = Object.entries(summary.blockedByReason)
    .map(([reason, count]) => `${reason} × ${count}`)
    .join(", ");
  line.textContent =
    `${summary.sessionId}: ${formatCount(summary.requests)} call${summary.requests === 1 ? "" : "s"}, ` +
    `${formatCount(summary.blocked)} refused${reasons ? ` (${reasons})` : ""}, ` +
    `${formatCount(summary.failed)} failed · spent ${formatUsd(summary.spent)} of ${formatUsd(summary.budget)}`;
  line.hidden = false;
}

// --- Chart: cumulative spend, by hour (or by day over more than three days) ---

function bucketStart(time, unit) {
  const date = new Date(time);
  if (unit === DAY) date.setHours(0, 0, 0, 0);
  else date.setMinutes(0, 0, 0);
  return date.getTime();
}

function nextBucket(start, unit) {
  const date = new Date(start);
  if (unit === DAY) date.setDate(date.getDate() + 1);
  else date.setTime(start + HOUR);
  return date.getTime();
}

function cumulativeSeries(records) {
  const settled = records
    .filter((record) => record.status === "settled" && record.actualUsd > 0)
    .sort((a, b) => a.time - b.time);
  if (settled.length === 0) return { unit: HOUR, points: [] };
  const first = settled[0].time;
  const last = settled[settled.length - 1].time;
  const unit = last - first > 3 * DAY ? DAY : HOUR;
  const points = [];
  let total = 0;
  let index = 0;
  for (let start = bucketStart(first, unit); start <= last && points.length < 1000; ) {
    const end = nextBucket(start, unit);
    while (index < settled.length && settled[index].time < end) {
      total += settled[index].actualUsd;
      index++;
    }
    points.push({ start, total });
    start = end;
  }
  return { unit, points };
}

/** A round step for about four grid lines: 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function renderChart() {
  const container = $("chart");
  const { unit, points } = cumulativeSeries(state.chartRecords);
  if (points.length === 0) {
    container.replaceChildren(el("p", { className: "empty", text: "No settled calls yet." }));
    return;
  }
  const width = Math.max(260, container.clientWidth);
  const height = width < 500 ? 180 : 240;
  const pad = { left: 64, right: 16, top: 14, bottom: 30 };
  const innerWidth = width - pad.left - pad.right;
  const innerHeight = height - pad.top - pad.bottom;
  const total = points[points.length - 1].total;
  const step = niceStep(total / 4);
  const ticks = Math.max(1, Math.ceil(total / step - 1e-9));
  const yMax = step * ticks;
  const x = (index) =>
    pad.left + (points.length === 1 ? innerWidth / 2 : (index / (points.length - 1)) * innerWidth);
  const y = (value) => pad.top + innerHeight - (value / yMax) * innerHeight;
  const label = (start) =>
    unit === DAY
      ? new Date(start).toLocaleDateString([], { month: "short", day: "numeric" })
      : new Date(start).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

  const chart = svg("svg", {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Cumulative spend by ${unit === DAY ? "day" : "hour"}: ${formatUsd(total)} over ${points.length} ${
      unit === DAY ? "days" : "hours"
    }`,
  });
  for (let tick = 0; tick <= ticks; tick++) {
    const value = step * tick;
    chart.append(
      svg("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid" }),
      svg(
        "text",
        { x: pad.left - 8, y: y(value) + 4, class: "axis", "text-anchor": "end" },
        formatUsd(value),
      ),
    );
  }
  const labelled = new Set([0, points.length - 1]);
  if (points.length > 4 && width >= 480) labelled.add(Math.floor((points.length - 1) / 2));
  for (const index of labelled) {
    const anchor =
      points.length === 1 ? "middle" : index === 0 ? "start" : index === points.length - 1 ? "end" : "middle";
    chart.append(
      svg(
        "text",
        { x: x(index), y: height - 8, class: "axis", "text-anchor": anchor },
        label(points[index].start),
      ),
    );
  }
  const line = points
    .map((point, index) => `${index === 0 ? "M" : "L"}${x(index)},${y(point.total)}`)
    .join(" ");
  chart.append(
    svg("path", { d: `${line} L${x(points.length - 1)},${y(0)} L${x(0)},${y(0)} Z`, class: "area" }),
    svg("path", { d: line, class: "line" }),
  );
  for (const [index, point] of points.entries()) {
    const dot = svg("circle", {
      cx: x(index),
      cy: y(point.total),
      r: points.length > 60 ? 0 : 3,
      class: "dot",
    });
    dot.append(svg("title", {}, `${label(point.start)}: ${formatUsd(point.total)}`));
    chart.append(dot);
  }
  container.replaceChildren(chart);
  $("chart-hint").textContent =
    `Cumulative, settled calls, by ${unit === DAY ? "day" : "hour"} (latest 1,000 calls)`;
}

// --- Refresh ---

async function load() {
  const session = $("filter-session").value;
  const status = $("filter-status").value;
  const historyParams = new URLSearchParams({ limit: "100" });
  if (session) historyParams.set("session", session);
  if (status) historyParams.set("status", status);
  const [budgets, models, providers, history, chart] = await Promise.all([
    api("/api/budgets"),
    api("/api/report?by=model"),
    api("/api/report?by=provider"),
    api(`/api/history?${historyParams}`),
    api("/api/history?limit=1000&status=settled"),
    loadSessionSummary(session),
  ]);
  state.budgets = budgets.budgets;
  state.chartRecords = chart.records;
  $("store-name").textContent = budgets.store;
  renderBudgets(budgets.budgets);
  renderReport("by-model", models.rows);
  renderReport("by-provider", providers.rows);
  renderTotals(providers.rows);
  renderHistory(history.records);
  renderChart();
  $("refreshed").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.refreshed = String(Date.now());
}

/** One refresh at a time; each poll, filter change and action queues one. */
function refresh() {
  state.queue = state.queue.then(load).then(hideBanner, (error) => {
    showBanner(describeError(error));
    if (error instanceof ApiError && error.status === 503) $("store-name").textContent = "unreachable";
    else if (!(error instanceof ApiError)) $("store-name").textContent = "not answering";
    $("refreshed").textContent = "Not updated";
  });
  return state.queue;
}

function poll() {
  clearTimeout(state.timer);
  refresh().then(() => {
    state.timer = setTimeout(poll, POLL_MS);
  });
}

$("panic").addEventListener("click", async () => {
  const on = !state.budgets.some((budget) => budget.panic);
  const question = on
    ? "Turn panic ON? Every paid call through this store will be refused until you turn it off."
    : "Turn panic OFF? Calls will be allowed again within their budgets.";
  if (!confirm(question)) return;
  try {
    await api("/api/panic", { on });
  } catch (error) {
    showBanner(describeError(error));
  }
  await refresh();
});
$("filter-session").addEventListener("change", () => refresh());
$("filter-status").addEventListener("change", () => refresh());

let resizeTimer;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(renderChart, 150);
});

poll();
