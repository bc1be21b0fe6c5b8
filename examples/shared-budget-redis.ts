// One budget shared by several processes through Redis: three worker processes run 25 agents each against the
// same $0.01 budget. Each call is held atomically in Redis before it is sent, so together they never commit
// more than the budget. Offline against the fake provider server; Redis from REDIS_URL (default local 6379).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { BudgetExceededError, BudgetedSession, storeSummary } from "spendguard";
import { redisStore } from "spendguard/redis";
import { startFakeProviders } from "spendguard/testing";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const [, , role, budgetId, providerURL] = process.argv;

if (role === "--worker" && budgetId && providerURL) {
  const store = redisStore({ url: redisUrl });
  const session = new BudgetedSession({ budgetUsd: 0.01, id: budgetId, store });
  const client = session.wrap(new OpenAI({ apiKey: "sk-offline", baseURL: providerURL }));
  const outcomes = await Promise.all(
    Array.from({ length: 25 }, (_, agent) =>
      client.chat.completions
        .create({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: `Task ${agent}` }],
          max_completion_tokens: 4000,
        })
        .then(
          () => "done",
          (error: unknown) => (error instanceof BudgetExceededError ? "refused" : `error: ${String(error)}`),
        ),
    ),
  );
  await session.close(); // the last session using the store closes it: the process can exit
  console.log(
    JSON.stringify({
      done: outcomes.filter((o) => o === "done").length,
      refused: outcomes.filter((o) => o === "refused").length,
    }),
  );
} else {
  const fake = await startFakeProviders();
  fake.setDefault("openai.chat", { usage: { prompt_tokens: 1_000, completion_tokens: 2_000 } });
  const id = `shared-${randomUUID().slice(0, 8)}`; // a fresh budget per run
  const self = fileURLToPath(import.meta.url);
  const workers = [1, 2, 3].map(
    (n) =>
      new Promise<{ done: number; refused: number }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [...process.execArgv, self, "--worker", id, fake.openai.baseURL],
          {
            stdio: ["ignore", "pipe", "inherit"],
            env: { ...process.env, REDIS_URL: redisUrl },
          },
        );
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.on("exit", (code) => {
          if (code !== 0) return reject(new Error(`worker ${n} exited with ${code}`));
          const result = JSON.parse(output.trim().split("\n").pop() ?? "{}") as {
            done: number;
            refused: number;
          };
          console.log(`worker ${n}: ${result.done} calls made, ${result.refused} refused`);
          resolve(result);
        });
      }),
  );
  const results = await Promise.all(workers);
  const store = redisStore({ url: redisUrl });
  const summary = await storeSummary(store, id);
  await store.close?.(); // no session uses this store: close it yourself
  await fake.close();
  const made = results.reduce((sum, result) => sum + result.done, 0);
  console.log(
    `${made} calls in 3 processes; spent $${summary?.spent.toFixed(6)} of $${summary?.budget}, reserved $${summary?.reserved.toFixed(6)}`,
  );
  console.log(
    summary && summary.spent <= summary.budget ? "PASS: the shared budget held" : "FAIL: overspent",
  );
}
