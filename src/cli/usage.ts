/** A mistake in how the command was called: exit code 2, with the usage line that applies. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The budget, session or key asked for does not exist: exit code 3. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

export const HELP = `spendguard: budgets, history and keys of the AI calls your agents make

Usage: spendguard <command> [options]   (--store sqlite:PATH | redis://HOST:PORT | postgres://HOST/DB, or SPENDGUARD_STORE)

  status [SESSION]                       budget, spent, reserved, remaining, utilization, period, panic
  history [SESSION] [--limit N] [--status settled|blocked|failed] [--model M] [--since DATE]
  report [--by model|provider|day|session] [--since DATE]
  budget set SESSION USD [--period day|week|month|Nd]   operator override of the budget (all periods)
  budget clear SESSION                   back to the budget the code gives
  budget reset SESSION                   zero the current period's spend
  panic on|off [SESSION...]              every process sharing the store refuses from its next call
  prices [MODEL] [--provider P]          what spendguard charges, by layer; the cheapest provider of a media model
  prices update|diff --dir DIR [--genai URL|PATH] [--table URL|PATH] [--max-change 2] [--force]
                                         fetch, check and (update) write a price snapshot new sessions use
  reconcile [DAY] [--from DAY --to DAY] [--provider openai,anthropic] [--max-drift 2%]
                                         the ledger against the providers' cost reports (admin keys:
                                         OPENAI_ADMIN_KEY / ANTHROPIC_ADMIN_KEY or keychain openai-admin / anthropic-admin)
  estimate --provider P --model M [--operation OP] < request.json
  keys set|delete|list [PROVIDER]        API keys in the OS keychain (set reads the key from a prompt or stdin)
  dashboard [--port N]                   the local dashboard on 127.0.0.1, behind a random access token
                                         (SPENDGUARD_DASHBOARD_TOKEN fixes it); GET /metrics for Prometheus

Read commands take --json. Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 drift above --max-drift.`;
