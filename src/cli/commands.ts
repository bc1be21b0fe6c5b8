import {
  BudgetedSession,
  type BudgetStore,
  budgetStatus,
  type CallStatus,
  imagePriceComparison,
  isSpendguardError,
  type Keychain,
  listBudgets,
  maskKey,
  mediaModels,
  openKeychain,
  type ReportDimension,
  report,
  resetBudget,
  setBudget,
  setPanic,
  storeSummary,
} from "../index.js";
import { displayBalance } from "../money.js";
import { bar, table, time, usd } from "./format.js";
import { NotFoundError, UsageError } from "./usage.js";

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(on: boolean): unknown };
  env: NodeJS.ProcessEnv;
  /** Where `keys` stores keys. @default the OS keychain */
  keychain?: Keychain;
  now?: () => number;
  /** Resolves when a long-running command (`dashboard`) should stop. @default SIGINT or SIGTERM */
  stop?: Promise<void>;
}

export interface Flags {
  json: boolean;
  limit?: string;
  status?: string;
  model?: string;
  since?: string;
  by?: string;
  period?: string;
  provider?: string;
  operation?: string;
  port?: string;
}

type Print = (text: string) => void;

export async function status(
  store: BudgetStore,
  id: string | undefined,
  flags: Flags,
  print: Print,
  now: number,
) {
  if (id === undefined) {
    const budgets = await listBudgets(store, { now });
    if (flags.json) return print(JSON.stringify(budgets, null, 2));
    if (budgets.length === 0)
      return print("No budgets in this store yet (a session registers its budget when it starts).");
    return print(
      table(
        ["session", "spent", "budget", "utilization", "reserved", "remaining", "period", "state"],
        budgets.map((budget) => {
          const shown = displayBalance({
            budget: budget.budgetUsd,
            spent: budget.spentUsd,
            reserved: budget.reservedUsd,
          });
          return [
            budget.parentId ? `  ${budget.id}` : budget.id,
            usd(shown.spent),
            usd(shown.budget) + (budget.overridden ? "*" : ""),
            bar(budget.utilizationPercent, 10),
            usd(shown.reserved),
            usd(shown.remaining),
            budget.period ?? "-",
            [budget.panic && "PANIC", budget.locked && "LOCKED"].filter(Boolean).join(" ") || "ok",
          ];
        }),
      ) +
        (budgets.some((budget) => budget.overridden)
          ? "\n* budget set by an operator (spendguard budget set)"
          : ""),
    );
  }
  const [summary, budget] = await Promise.all([
    storeSummary(store, id, { now }),
    budgetStatus(store, id, { now }),
  ]);
  if (!summary || !budget) throw new NotFoundError(`No budget \`${id}\` in this store`);
  if (flags.json) return print(JSON.stringify(summary, null, 2));
  const shown = displayBalance(summary);
  const lines = [
    `session     ${summary.sessionId}${budget.parentId ? ` (child of ${budget.parentId})` : ""}`,
    `budget      ${usd(summary.budget)}${budget.overridden ? ` (operator override; the code says ${usd(budget.codeBudgetUsd)})` : ""}${budget.period ? ` per ${budget.period}` : ""}`,
    `spent       ${usd(shown.spent)}  ${bar(summary.utilizationPercent)}`,
    `reserved    ${usd(shown.reserved)}`,
    `remaining   ${usd(shown.remaining)}`,
    `panic       ${budget.panic ? "ON: every paid call is refused" : "off"}${budget.locked ? "   LOCKED (session.unlock())" : ""}`,
    `calls       ${summary.requests} settled, ${summary.blocked} blocked, ${summary.failed} failed, ${summary.overspends} over their hold`,
  ];
  const reasons = Object.entries(summary.blockedByReason);
  if (reasons.length > 0)
    lines.push(`blocked by  ${reasons.map(([reason, count]) => `${reason} ${count}`).join(", ")}`);
  const models = Object.entries(summary.byModel);
  if (models.length > 0) {
    lines.push(
      "",
      table(
        ["model", "calls", "spent", "input tokens", "output tokens"],
        models.map(([model, totals]) => [
          model,
          String(totals.requests),
          usd(totals.spentUsd),
          String(totals.inputTokens),
          String(totals.outputTokens),
        ]),
      ),
    );
  }
  print(lines.join("\n"));
}

export async function history(store: BudgetStore, id: string | undefined, flags: Flags, print: Print) {
  const limit = flags.limit === undefined ? 50 : positiveInteger("--limit", flags.limit);
  const statusFilter = flags.status;
  if (statusFilter !== undefined && !["settled", "blocked", "failed"].includes(statusFilter)) {
    throw new UsageError("Expected --status settled, blocked or failed");
  }
  const since = flags.since === undefined ? undefined : dateFlag("--since", flags.since);
  if (id !== undefined && !(await budgetStatus(store, id))) {
    throw new NotFoundError(`No budget \`${id}\` in this store`);
  }
  const records = (
    await store.history({
      ...(id !== undefined && { sessionId: id }),
      limit: since === undefined ? limit : Number.MAX_SAFE_INTEGER,
      ...(statusFilter !== undefined && { status: statusFilter as CallStatus }),
      ...(flags.model !== undefined && { model: flags.model }),
    })
  )
    .filter((record) => since === undefined || record.time >= since)
    .slice(0, limit);
  if (flags.json) return print(JSON.stringify(records, null, 2));
  if (records.length === 0) return print("No calls recorded.");
  print(
    table(
      ["time (UTC)", "session", "provider", "model", "status", "reason", "held", "charged", "source"],
      records.map((record) => [
        time(record.time),
        record.sessionId,
        record.provider,
        record.resolvedModel ?? record.model,
        record.status,
        record.reason ?? "",
        usd(record.heldUsd),
        usd(record.actualUsd),
        [record.source ?? "", ...record.flags].filter(Boolean).join(" "),
      ]),
    ),
  );
}

export async function reportCommand(store: BudgetStore, flags: Flags, print: Print) {
  const by = (flags.by ?? "model") as ReportDimension;
  if (!["model", "provider", "day", "session"].includes(by)) {
    throw new UsageError("Expected --by model, provider, day or session");
  }
  const since = flags.since === undefined ? undefined : dateFlag("--since", flags.since);
  const rows = await report(store, { by, ...(since !== undefined && { since }) });
  if (flags.json) return print(JSON.stringify(rows, null, 2));
  if (rows.length === 0) return print("No calls recorded.");
  const total = rows.reduce((sum, row) => sum + row.spentUsd, 0);
  print(
    table(
      [by, "calls", "blocked", "failed", "spent", "share", "input tokens", "output tokens"],
      rows.map((row) => [
        row.key,
        String(row.requests),
        String(row.blocked),
        String(row.failed),
        usd(row.spentUsd),
        `${total > 0 ? ((row.spentUsd / total) * 100).toFixed(1) : "0.0"}%`,
        String(row.inputTokens),
        String(row.outputTokens),
      ]),
    ),
  );
}

export async function budget(
  store: BudgetStore,
  args: readonly string[],
  flags: Flags,
  print: Print,
  now: number,
) {
  const [action, id, amount] = args;
  if (!id || !["set", "clear", "reset"].includes(action ?? "")) {
    throw new UsageError(
      "Usage: spendguard budget set SESSION USD | budget clear SESSION | budget reset SESSION",
    );
  }
  const known = await budgetStatus(store, id, { now });
  if (action === "set") {
    const usdValue = Number(amount);
    if (amount === undefined || !Number.isFinite(usdValue) || usdValue < 0) {
      throw new UsageError("Expected the budget in USD: spendguard budget set SESSION 25");
    }
    if (flags.period !== undefined) {
      const period = flags.period;
      if (!/^(day|week|month|[1-9]\d*d)$/.test(period))
        throw new UsageError("Expected --period day, week, month or Nd (7d)");
      if (known && known.period !== period) {
        throw new UsageError(
          `Budget \`${id}\` is ${known.period ? `per ${known.period}` : "without periods"}: the period is set by the ` +
            "code (the `period` option); --period only describes a budget that is not registered yet",
        );
      }
    }
    if (!known) {
      // A child's id is `parent/name`: its parent must exist, or the child would be a tree of its own.
      const parentId = id.includes("/") ? id.slice(0, id.lastIndexOf("/")) : undefined;
      if (parentId !== undefined && !(await budgetStatus(store, parentId, { now }))) {
        throw new UsageError(
          `Budget \`${id}\` is a child of \`${parentId}\`, which is not in this store: set the parent's budget ` +
            `first (spendguard budget set ${parentId} USD)`,
        );
      }
      // Pre-provision a budget no session has registered yet (a new tenant): sessions with this id will use it.
      await store.register([
        {
          id,
          ...(parentId !== undefined && { parentId }),
          limit: 0,
          thresholds: [],
          createdAt: now,
          ...(flags.period !== undefined && { period: flags.period }),
        },
      ]);
    }
    const updated = await setBudget(store, id, usdValue, { now });
    return print(
      flags.json ? JSON.stringify(updated, null, 2) : `Budget of ${id} set to ${usd(updated.budgetUsd)}.`,
    );
  }
  if (!known) throw new NotFoundError(`No budget \`${id}\` in this store`);
  if (action === "clear") {
    const updated = await setBudget(store, id, null, { now });
    return print(
      flags.json
        ? JSON.stringify(updated, null, 2)
        : `Budget of ${id} is the code's again: ${usd(updated.budgetUsd)}.`,
    );
  }
  const updated = await resetBudget(store, id, { now });
  print(
    flags.json
      ? JSON.stringify(updated, null, 2)
      : `Spend of ${id} reset for the current period (${updated.key}).`,
  );
}

export async function panic(
  store: BudgetStore,
  args: readonly string[],
  flags: Flags,
  print: Print,
  now: number,
) {
  const [state, ...ids] = args;
  if (state !== "on" && state !== "off") throw new UsageError("Usage: spendguard panic on|off [SESSION...]");
  if (ids.length > 0) {
    const known = new Set((await listBudgets(store, { now })).map((entry) => entry.id));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0)
      throw new NotFoundError(`No budget ${missing.map((id) => `\`${id}\``).join(", ")} in this store`);
  }
  const changed = await setPanic(store, state === "on", { now, ...(ids.length > 0 && { ids }) });
  if (flags.json) return print(JSON.stringify({ panic: state === "on", sessions: changed }));
  print(
    state === "on"
      ? `Panic ON for ${changed.length} budget(s): every process sharing this store refuses every paid call from its next one.`
      : `Panic off for ${changed.length} budget(s).`,
  );
}

/** What spendguard charges for a model, by layer, and for a media model the cheapest provider per quality. */
export async function prices(model: string | undefined, flags: Flags, print: Print) {
  if (!model) {
    const models = mediaModels();
    if (flags.json) return print(JSON.stringify(models, null, 2));
    return print(
      [
        "Token models: every model @pydantic/genai-prices knows, e.g. spendguard prices gpt-4o",
        `OpenAI image models: ${models.openaiImages.join(", ")}`,
        `fal endpoints (${models.falEndpoints.length}): ${models.falEndpoints.join(", ")}`,
        `MiniMax video: ${models.minimax.video.join(", ")}; speech: ${models.minimax.speech.join(", ")}`,
      ].join("\n"),
    );
  }
  const media = imagePriceComparison(model);
  const tokens = await tokenPrices(model, flags.provider);
  if (!media && tokens.length === 0)
    throw new NotFoundError(`No price known for \`${model}\` (token or media)`);
  if (flags.json) return print(JSON.stringify({ model, tokens, ...(media && { media }) }, null, 2));
  const lines: string[] = [];
  if (tokens.length > 0) {
    lines.push(
      table(
        ["provider", "tier", "input /MTok", "cached /MTok", "output /MTok"],
        tokens.map((row) => [
          row.provider,
          row.tier,
          usd(row.inputPerMTok),
          row.cachedInputPerMTok === undefined ? "-" : usd(row.cachedInputPerMTok),
          usd(row.outputPerMTok),
        ]),
      ),
    );
    const sources = new Set(tokens.map((row) => `${row.source.layer}: ${row.source.detail}`));
    lines.push(...[...sources].map((source) => `source: ${source}`));
    for (const row of tokens)
      if (row.source.tierRule) lines.push(`${row.provider} ${row.tier}: ${row.source.tierRule}`);
  }
  if (media) {
    if (lines.length > 0) lines.push("");
    lines.push(
      table(
        ["provider", "endpoint", "quality", "size", "per image"],
        media.rows.map((row) => [row.provider, row.endpoint, row.quality, row.size, usd(row.usd)]),
      ),
    );
    for (const [quality, best] of Object.entries(media.cheapest)) {
      const where = best.map((row) => `${row.provider} (${row.endpoint}, ${row.size})`).join(" = ");
      lines.push(`cheapest ${quality}: ${where} at ${usd(best[0]?.usd ?? 0)} per image`);
    }
  }
  print(lines.join("\n"));
}

async function tokenPrices(model: string, provider: string | undefined) {
  const session = new BudgetedSession({ budgetUsd: 1 });
  const providers = provider ? [provider] : ["openai", "anthropic"];
  const rows = [];
  for (const name of providers) {
    for (const tier of name === "openai"
      ? (["standard", "batch", "flex", "priority"] as const)
      : (["standard", "batch"] as const)) {
      const tiered = new BudgetedSession({ budgetUsd: 1, tier });
      try {
        rows.push({ ...(await tiered.price(name, model)), tier });
      } catch (error) {
        if (!isSpendguardError(error)) throw error;
        break;
      }
    }
  }
  await session.close();
  return rows;
}

export async function estimate(flags: Flags, io: CliIo, print: Print) {
  const provider = flags.provider;
  if (!provider)
    throw new UsageError("Usage: spendguard estimate --provider openai --model gpt-4o < request.json");
  if (provider !== "openai" && provider !== "anthropic" && provider !== "fal") {
    throw new UsageError(`Unknown provider "${provider}": expected openai, anthropic or fal`);
  }
  const text = await readAll(io.stdin);
  if (text.trim() === "") {
    throw new UsageError(
      "Expected the request's params as JSON on stdin, got nothing: spendguard estimate … < request.json",
    );
  }
  let params: Record<string, unknown>;
  try {
    params = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UsageError("Expected the request as JSON on stdin");
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new UsageError("Expected a JSON object on stdin (the request's params)");
  }
  if (flags.model !== undefined && provider !== "fal") params = { ...params, model: flags.model };
  const operation =
    flags.operation ??
    (provider === "fal"
      ? flags.model
      : provider === "anthropic"
        ? "messages"
        : "messages" in params
          ? "chat.completions"
          : "input" in params
            ? "responses"
            : "prompt" in params
              ? "images.generate"
              : undefined);
  if (!operation) throw new UsageError("Cannot tell the operation from the request: pass --operation");
  const session = new BudgetedSession({ budgetUsd: 9_000_000 });
  const result = await session.estimate({ provider, operation, params });
  if (flags.json) return print(JSON.stringify(result, null, 2));
  print(
    [
      `${provider} ${operation} (${result.resolvedModel})`,
      `worst case  ${usd(result.costUsd)}  (what strict mode holds)`,
      `expected    ${usd(result.expectedUsd)}`,
      `tokens      ${result.inputTokens} input, up to ${result.outputTokens} output`,
      `confidence  ${result.confidence}`,
      `price       ${result.priceSource.layer}: ${result.priceSource.detail}`,
      ...result.notes.map((note) => `note        ${note}`),
    ].join("\n"),
  );
}

export async function keys(args: readonly string[], flags: Flags, io: CliIo, print: Print) {
  const [action, provider, ...rest] = args;
  if (rest.length > 0) {
    throw new UsageError(
      "Never pass a key on the command line (it lands in your shell history): spendguard keys set PROVIDER reads it from a prompt or stdin",
    );
  }
  const keychain = io.keychain ?? (await openKeychain());
  if (action === "list") {
    const accounts = await keychain.list();
    const entries = [];
    for (const account of accounts) {
      const key = await keychain.get(account);
      if (key) entries.push({ provider: account, key: maskKey(key) });
    }
    if (flags.json) return print(JSON.stringify(entries, null, 2));
    return print(
      entries.length === 0
        ? "No keys stored."
        : table(
            ["provider", "key"],
            entries.map((entry) => [entry.provider, entry.key]),
          ),
    );
  }
  if (!provider || !/^[a-z0-9][a-z0-9_-]*$/i.test(provider)) {
    throw new UsageError("Usage: spendguard keys set|delete PROVIDER (openai, anthropic, fal, ...)");
  }
  if (action === "set") {
    const key = (
      io.stdin.isTTY ? await promptHidden(io, `API key for ${provider}: `) : await readAll(io.stdin)
    ).trim();
    if (!key) throw new UsageError("No key given (type it at the prompt, or pipe it on stdin)");
    await keychain.set(provider, key);
    return print(`Stored the ${provider} key ${maskKey(key)} in the ${keychain.backend} keychain.`);
  }
  if (action === "delete") {
    if (!(await keychain.delete(provider))) throw new NotFoundError(`No ${provider} key in the keychain`);
    return print(`Deleted the ${provider} key.`);
  }
  throw new UsageError("Usage: spendguard keys set|delete|list [PROVIDER]");
}

function positiveInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`Expected ${name} to be an integer >= 1`);
  return parsed;
}

function dateFlag(name: string, value: string): number {
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`Expected ${name} to be a date (2026-11-25 or an ISO time)`);
  return parsed;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads a line from a terminal without echoing it. */
async function promptHidden(io: CliIo, question: string): Promise<string> {
  io.stderr.write(question);
  io.stdin.setRawMode?.(true);
  let answer = "";
  try {
    for await (const chunk of io.stdin) {
      for (const char of String(chunk)) {
        if (char === "\r" || char === "\n") return answer;
        if (char === "\u0003") throw new UsageError("Cancelled");
        if (char === "\u007f") answer = answer.slice(0, -1);
        else answer += char;
      }
    }
    return answer;
  } finally {
    io.stdin.setRawMode?.(false);
    io.stderr.write("\n");
  }
}
