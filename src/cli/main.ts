import { parseArgs } from "node:util";
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
import { openStore, redact } from "./store.js";
import { HELP, NotFoundError, UsageError } from "./usage.js";

export type { CliIo };

/** Runs one `spendguard` command; resolves with its exit code (0 ok, 1 failed, 2 usage, 3 not found). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const print = (text: string) => void io.stdout.write(`${text}\n`);
  let store: BudgetStore | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
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
        help: { type: "boolean", short: "h", default: false },
      },
    });
    const [command, ...args] = positionals;
    if (values.help || command === undefined || command === "help") {
      print(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    const flags = values as Flags & { store?: string };
    const now = (io.now ?? Date.now)();
    const needsStore = ["status", "history", "report", "budget", "panic", "dashboard"].includes(command);
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
        await prices(args[0], flags, print);
        break;
      case "estimate":
        await estimate(flags, io, print);
        break;
      case "keys":
        await keys(args, flags, io, print);
        break;
      case "dashboard":
        await dashboard(store as BudgetStore, flags, io, print);
        break;
      default:
        throw new UsageError(`Unknown command \`${command}\`: run spendguard --help`);
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (
      error instanceof UsageError ||
      (error as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      io.stderr.write(`spendguard: ${message}\n`);
      return 2;
    }
    if (error instanceof NotFoundError) {
      io.stderr.write(`spendguard: ${message}\n`);
      return 3;
    }
    io.stderr.write(
      `spendguard: ${isSpendguardError(error) || error instanceof Error ? redact(message) : message}\n`,
    );
    return 1;
  } finally {
    await store?.close?.().catch(() => undefined);
  }
}

async function dashboard(store: BudgetStore, flags: Flags, io: CliIo, print: (text: string) => void) {
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError("Expected --port to be a port number");
  const { startDashboard } = await import("../dashboard/index.js");
  const server = await startDashboard({ store, port });
  print(`Dashboard: ${server.url}\n(127.0.0.1 only; the token in the URL is required. Ctrl-C stops it.)`);
  await (io.stop ?? untilSignal());
  await server.close();
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
