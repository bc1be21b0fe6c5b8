import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { BudgetStore } from "../stores/types.js";
import { NotFoundError, UsageError } from "./usage.js";

/**
 * `--store sqlite:PATH` (or `sqlite:///abs/path`), `redis://HOST:PORT[/DB]` / `rediss://...`,
 * `postgres://USER@HOST:PORT/DB[?schema=NAME]` (`postgresql://` too), or the same in `SPENDGUARD_STORE`. The store modules (and their drivers) load only for the kind asked for.
 */
export async function openStore(
  spec: string | undefined,
  options: { create: boolean } = { create: true },
): Promise<BudgetStore> {
  if (!spec) {
    throw new UsageError(
      "No store: pass --store sqlite:PATH, redis://HOST:PORT or postgres://HOST:PORT/DB (or set SPENDGUARD_STORE), the store your agents use",
    );
  }
  if (spec.startsWith("sqlite:")) {
    const path = spec.replace(/^sqlite:(\/\/)?/, "");
    if (!path) throw new UsageError("Expected a path after sqlite: (sqlite:./budgets.db)");
    // A command that only reads never creates a file: a typo in the path is reported, not answered with zeros.
    if (!options.create && !existsSync(path)) {
      throw new NotFoundError(`No SQLite store at \`${resolve(path)}\` (the file does not exist)`);
    }
    const { sqliteStore } = await import("../stores/sqlite.js");
    return sqliteStore({ path });
  }
  if (/^rediss?:\/\//.test(spec)) {
    const { redisStore } = await import("../stores/redis.js");
    return redisStore({ url: spec });
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    // `schema` is spendguard's, not the driver's: taken out of the URL before it reaches pg.
    const url = new URL(spec);
    const schema = url.searchParams.get("schema") ?? undefined;
    url.searchParams.delete("schema");
    const { postgresStore } = await import("../stores/postgres/index.js");
    return postgresStore({ url: url.toString(), ...(schema !== undefined && { schema }) });
  }
  throw new UsageError(
    `Unknown store \`${redact(spec)}\`: expected sqlite:PATH, redis://HOST:PORT or postgres://HOST:PORT/DB`,
  );
}

/** A store spec as it may be printed: a password in a Redis or PostgreSQL URL is hidden. */
export function redact(spec: string): string {
  return spec.replace(/\/\/([^:@/]*):([^@/]*)@/, "//$1:***@");
}
