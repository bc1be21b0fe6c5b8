import { parseArgs } from "node:util";
import packageJson from "../../package.json" with { type: "json" };
import { isSpendguardError } from "../index.js";
import type { BudgetStore } from "../stores/types.js";
import {
  budget,
  type CliIo,
  estimate,
  type Flags,
  history,
  keys,
  panic,
  prices,
  reportCommand,
  status,
} from "./commands.js";
import { pricesUpdate } from "./prices-update.js";
import { reconcileCommand } from "./reconcile.js";
import { openStore, redact } from "./store.js";
import { COMMANDS, commandHelp, EXIT, helpText, NotFoundError, UsageError } from "./usage.js";

export type { CliIo };

/** Runs one `spendguard` command; resolves with its exit code (0 ok, 1 failed, 2 usage, 3 not found). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const print = (text: string) => void io.stdout.write(`${text}\n`);
  let store: BudgetStore | undefined;
  try {
    const { values, positionals } = parse(argv);
    const [command, ...args] = positionals;
    if (values.version) {
      print(packageJson.version);
      return EXIT.ok;
    }
    if (command === "help" && args[0] !== undefined && Object.hasOwn(COMMANDS, args[0])) {
      print(commandHelp(args[0]));
      return EXIT.ok;
    }
    if (values.help || command === undefined || command === "help") {
      if (command !== undefined && Object.hasOwn(COMMANDS, command)) print(commandHelp(command));
      else print(helpText(packageJson.version));
      return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
    }
    if (!Object.hasOwn(COMMANDS, command)) {
      throw new UsageError(`Unknown command \`${command}\`: run spendguard --help`);
    }
    rejectForeignFlags(command, values);
    const flags = values as Flags & { store?: string };
    const now = (io.now ?? Date.now)();
    const needsStore = COMMANDS[command]?.store === true;
    // The dashboard can turn panic on, so it may open a new file like `budget` and `panic`.
    const writes = command === "budget" || command === "panic" || command === "dashboard";
    if (needsStore) store = await openStore(flags.store ?? io.env.SPENDGUARD_STORE, { create: writes });
    switch (command) {
      case "status":
        await status(store as BudgetStore, args[0], flags, print, now);
        break;
      case "history":
        await history(store as BudgetStore, args[0], flags, print);
        break;
      case "report":
        await reportCommand(store as BudgetStore, flags, print);
        break;
      case "budget":
        await budget(store as BudgetStore, args, flags, print, now);
        break;
      case "panic":
        await panic(store as BudgetStore, args, flags, print, now);
        break;
      case "prices":
        if (args[0] === "update" || args[0] === "diff") await pricesUpdate(args[0], values, io.env, print);
        else await prices(args[0], flags, print);
        break;
      case "reconcile":
        return await reconcileCommand(store as BudgetStore, args[0], values, io, print);
      case "estimate":
        await estimate(flags, io, print);
        break;
      case "keys":
        await keys(args, flags, io, print);
        break;
      case "dashboard":
        await dashboard(store as BudgetStore, flags, io, print);
        break;
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      io.stderr.write(`spendguard: ${message}\n`);
      return EXIT.usage;
    }
    if (error instanceof NotFoundError) {
      io.stderr.write(`spendguard: ${message}\n`);
      return EXIT.notFound;
    }
    io.stderr.write(
      `spendguard: ${isSpendguardError(error) || error instanceof Error ? redact(message) : message}\n`,
    );
    return EXIT.failed;
  } finally {
    await store?.close?.().catch(() => undefined);
  }
}

const OPTIONS = {
  store: { type: "string" },
  json: { type: "boolean", default: false },
  limit: { type: "string" },
  status: { type: "string" },
  model: { type: "string" },
  since: { type: "string" },
  by: { type: "string" },
  period: { type: "string" },
  provider: { type: "string" },
  operation: { type: "string" },
  port: { type: "string" },
  dir: { type: "string" },
  genai: { type: "string" },
  table: { type: "string" },
  force: { type: "boolean", default: false },
  "max-change": { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "max-drift": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", short: "v", default: false },
} as const;

/** Node's parser, with its errors said in spendguard's words. */
function parse(argv: readonly string[]) {
  // `--limit -1` becomes `--limit=-1`, so the command reports the bad number instead of a missing value.
  const args: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const next = argv[index + 1];
    const name = /^--([\w-]+)$/.exec(arg)?.[1] as keyof typeof OPTIONS | undefined;
    if (name && OPTIONS[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      index++;
    } else {
      args.push(arg);
    }
  }
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const option = /'(-[^' ]+)/.exec((error as Error).message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(`Unknown option \`${option}\`: run spendguard --help`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const takesNone = (error as Error).message.includes("does not take an argument");
      throw new UsageError(`Option \`${option}\` ${takesNone ? "takes no value" : "needs a value"}`);
    }
    throw error;
  }
}

/** An option another command takes (`status --limit 3`) is a mistake, not something to ignore. */
function rejectForeignFlags(command: string, values: Record<string, unknown>): void {
  const own = new Set(["store", "json", "help", "version", ...(COMMANDS[command]?.flags ?? [])]);
  for (const [name, value] of Object.entries(values)) {
    if (own.has(name) || value === false) continue;
    throw new UsageError(`\`${command}\` does not take --${name}: run spendguard ${command} --help`);
  }
}

async function dashboard(store: BudgetStore, flags: Flags, io: CliIo, print: (text: string) => void) {
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError("Expected --port to be a port number");
  const { startDashboard } = await import("../dashboard/index.js");
  // A fixed token (for a Prometheus scrape config) comes from the environment, never the command line.
  const token = io.env.SPENDGUARD_DASHBOARD_TOKEN;
  const server = await startDashboard({ store, port, ...(token && { token }) });
  print(`Dashboard: ${server.url}\n(127.0.0.1 only; the token in the URL is required. Ctrl-C stops it.)`);
  await (io.stop ?? untilSignal(io));
  await server.close();
}

/** The first Ctrl-C stops the dashboard cleanly (even with the store down); a second one exits at once. */
function untilSignal(io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      io.stderr.write("Stopping the dashboard (Ctrl-C again to quit at once)\n");
      process.once("SIGINT", () => process.exit(130));
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
