/** A mistake in how the command was called: exit code 2, with the usage line that applies. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The budget, session or key asked for does not exist: exit code 3. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** The exit codes, the same for every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3 } as const;

interface CommandHelp {
  /** The arguments and options, after `spendguard <command>`. */
  usage: string;
  summary: string;
  /** The options it takes besides --store, --json and --help. */
  flags: readonly string[];
  /** Whether it reads a store (so takes --store). */
  store: boolean;
}

export const COMMANDS: Readonly<Record<string, CommandHelp>> = {
  status: {
    usage: "status [SESSION]",
    summary: "budget, spent, reserved, remaining, utilization, period, panic",
    flags: [],
    store: true,
  },
  history: {
    usage: "history [SESSION] [--limit N] [--status settled|blocked|failed] [--model M] [--since DATE]",
    summary: "the latest calls, allowed, blocked and failed",
    flags: ["limit", "status", "model", "since"],
    store: true,
  },
  report: {
    usage: "report [--by model|provider|day|session] [--since DATE]",
    summary: "spend grouped by model, provider, day or session",
    flags: ["by", "since"],
    store: true,
  },
  budget: {
    usage:
      "budget set SESSION USD [--period day|week|month|Nd] | budget clear SESSION | budget reset SESSION",
    summary:
      "set: operator override of the budget (all periods); clear: back to the code's budget; reset: zero the current period's spend",
    flags: ["period"],
    store: true,
  },
  panic: {
    usage: "panic on|off [SESSION...]",
    summary: "every process sharing the store refuses from its next call",
    flags: [],
    store: true,
  },
  prices: {
    usage:
      "prices [MODEL] [--provider P] | prices update|diff --dir DIR [--genai URL|PATH] [--table URL|PATH] [--max-change 2] [--force]",
    summary:
      "what spendguard charges, by layer; update|diff: fetch, check and (update) write a price snapshot new sessions use",
    flags: ["provider", "dir", "genai", "table", "max-change", "force"],
    store: false,
  },
  reconcile: {
    usage: "reconcile [DAY] [--from DAY --to DAY] [--provider openai,anthropic] [--max-drift 2%]",
    summary:
      "the ledger against the providers' cost reports (admin keys: OPENAI_ADMIN_KEY / ANTHROPIC_ADMIN_KEY or keychain openai-admin / anthropic-admin)",
    flags: ["from", "to", "provider", "max-drift"],
    store: true,
  },
  estimate: {
    usage: "estimate --provider openai|anthropic|fal [--model M] [--operation OP] < request.json",
    summary: "the worst case and expected cost of a request, without sending it",
    flags: ["provider", "model", "operation"],
    store: false,
  },
  keys: {
    usage: "keys set|delete|list [PROVIDER]",
    summary: "API keys in the OS keychain (set reads the key from a prompt or stdin)",
    flags: [],
    store: false,
  },
  dashboard: {
    usage: "dashboard [--port N]",
    summary:
      "the local dashboard on 127.0.0.1, behind a random access token (SPENDGUARD_DASHBOARD_TOKEN fixes it); GET /metrics for Prometheus",
    flags: ["port"],
    store: true,
  },
};

const EXIT_TABLE = `Exit codes:
  0  ok
  1  the command failed (store unreachable, I/O error)
  2  usage: an unknown command or option, a bad value
  3  not found: no such budget, session, price or key
  4  reconcile: drift above --max-drift`;

const STORE_LINE = "--store sqlite:PATH | redis://HOST:PORT | postgres://HOST/DB (or SPENDGUARD_STORE)";

export function helpText(version: string): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return [
    `spendguard ${version}: budgets, history and keys of the AI calls your agents make`,
    "",
    "Usage: spendguard <command> [options]",
    "",
    ...lines,
    "",
    `Stores: ${STORE_LINE}. Read commands take --json.`,
    "spendguard <command> --help shows a command's options; spendguard --version its version.",
    "",
    EXIT_TABLE,
  ].join("\n");
}

export function commandHelp(name: string): string {
  const command = COMMANDS[name] as CommandHelp;
  return [
    `Usage: spendguard ${command.usage}`,
    "",
    command.summary,
    ...(command.store ? ["", `Store: ${STORE_LINE}`] : []),
    "",
    EXIT_TABLE,
  ].join("\n");
}
