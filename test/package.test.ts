import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

const HEAVY = [
  "gpt-tokenizer",
  "@pydantic/genai-prices",
  "openai",
  "@anthropic-ai/sdk",
  "@fal-ai/client",
  "@napi-rs/keyring",
  "keytar",
  "better-sqlite3",
  "ioredis",
  "@opentelemetry/api",
  "pg",
];

/** A script that imports `entry` in a fresh Node process where importing any heavy module throws. */
const guard = (entry: string, afterImport: string) => `
import { register } from "node:module";
const hook = 'const heavy = ${JSON.stringify(HEAVY)};' +
  'export async function resolve(specifier, context, next) {' +
  ' if (heavy.some((name) => specifier === name || specifier.startsWith(name + "/")))' +
  ' throw new Error("eagerly imported " + specifier);' +
  ' return next(specifier, context); }';
register("data:text/javascript," + encodeURIComponent(hook));
const spendguard = await import(${JSON.stringify(entry)});
${afterImport}
`;

function run(script: string, args: string[] = []): { stdout: string; stderr: string; status: number | null } {
  const child = spawnSync(process.execPath, [...args, "--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { stdout: child.stdout, stderr: child.stderr, status: child.status };
}

describe("the package", () => {
  beforeAll(() => {
    // CI builds before testing; a local `npm test` on a fresh checkout builds here.
    if (!existsSync(`${root}dist/index.js`)) execFileSync("npx", ["tsup"], { cwd: root, stdio: "ignore" });
  }, 120_000);

  it("imports the root entry without loading a tokenizer, price data or a provider SDK", () => {
    const result = run(guard("./src/index.ts", "console.log(Object.keys(spendguard).sort().join(','));"), [
      "--import",
      "tsx",
    ]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(
      "BudgetExceededError,BudgetedSession,CostReportError,InvalidRequestError,KeychainUnavailableError,PROMETHEUS_CONTENT_TYPE,RuleViolationError,SnapshotError,SpendguardError,StoreUnavailableError,UnknownPriceError,budgetStatus,describeChange,displayBalance,imagePriceComparison,isSpendguardError,listBudgets,maskKey,mediaModels,memoryStore,openKeychain,openTelemetry,previewPriceUpdate,prometheusText,reconcile,report,resetBudget,resolveApiKey,setBudget,setPanic,storeSummary,updatePrices,webhookAlerts",
    );
  });

  it("the guard above would catch an eager import (the first estimate loads the tokenizer)", () => {
    const result = run(
      guard(
        "./src/index.ts",
        `await new spendguard.BudgetedSession({ budgetUsd: 1 }).estimate({ provider: "openai", operation: "chat.completions", params: { model: "gpt-4o", messages: [] } }).catch((e) => console.log(e.message));`,
      ),
      ["--import", "tsx"],
    );
    expect(result.stdout).toMatch(/eagerly imported (gpt-tokenizer|@pydantic\/genai-prices)/);
  });

  it("ships ESM and CJS builds with type declarations for every entry in the exports map", async () => {
    const pkg = (await import("../package.json", { with: { type: "json" } })).default as {
      exports: Record<
        string,
        { import?: { types: string; default: string }; require?: { types: string; default: string } }
      >;
    };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === "./package.json") continue;
      for (const file of [
        target.import?.types,
        target.import?.default,
        target.require?.types,
        target.require?.default,
      ]) {
        expect(file && existsSync(`${root}${file.slice(2)}`), `${subpath}: ${file}`).toBe(true);
      }
    }
    const esm = run(
      `const m = await import("spendguard"); const t = await import("spendguard/testing"); console.log(typeof m.BudgetedSession, typeof t.startFakeProviders);`,
    );
    expect(esm.stdout.trim()).toBe("function function");
    const cjs = spawnSync(
      process.execPath,
      [
        "-e",
        `const m = require("spendguard"); const t = require("spendguard/testing"); console.log(typeof m.BudgetedSession, typeof t.startFakeProviders, m.isSpendguardError(new m.BudgetExceededError({ sessionId: "s", estimated: 1, spent: 0, reserved: 0, budget: 0 })));`,
      ],
      { cwd: root, encoding: "utf8" },
    );
    expect(cjs.stderr).toBe("");
    expect(cjs.stdout.trim()).toBe("function function true");
  });

  it("recognizes spendguard errors across two copies of the package (ESM and CJS builds)", () => {
    const result = run(`
      import { createRequire } from "node:module";
      const esm = await import("spendguard");
      const cjs = createRequire(import.meta.url)("spendguard");
      const error = new cjs.UnknownPriceError("openai", "x");
      console.log(error instanceof esm.UnknownPriceError, esm.isSpendguardError(error));`);
    expect(result.stdout.trim()).toBe("false true");
  });

  it("ships the spendguard command: it runs from dist/, and its dashboard serves the page from dist/", async () => {
    const folder = mkdtempSync(join(tmpdir(), "spendguard-bin-"));
    try {
      const store = `sqlite:${join(folder, "budgets.db")}`;
      const prices = spawnSync(process.execPath, [`${root}dist/cli.js`, "prices", "gpt-4o-mini", "--json"], {
        encoding: "utf8",
      });
      expect(prices.status).toBe(0);
      expect(JSON.parse(prices.stdout).tokens[0]).toMatchObject({ provider: "openai", inputPerMTok: 0.15 });
      const dashboard = spawn(process.execPath, [`${root}dist/cli.js`, "dashboard", "--store", store], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let output = "";
          dashboard.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            const found = /http:\/\/127\.0\.0\.1:\d+\/\S+/.exec(output)?.[0];
            if (found) resolve(found);
          });
          dashboard.once("exit", (code) => reject(new Error(`dashboard exited with ${code}`)));
        });
        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain("spendguard");
        expect((await fetch(url.replace(/token=[^&]+/, "token=wrong"))).status).toBe(401);
      } finally {
        dashboard.kill("SIGINT");
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
