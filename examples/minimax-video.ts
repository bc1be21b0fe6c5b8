// Metering an API spendguard does not wrap: MiniMax video generation over plain HTTP.
// session.guard() holds the clip's price from the MiniMax table before the request is sent, and settles
// the clip that was actually made. Offline by default: without MINIMAX_API_KEY it talks to the fake server.
import { BudgetExceededError, BudgetedSession } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const live = Boolean(process.env.MINIMAX_API_KEY);
const fake = live ? undefined : await startFakeProviders();
const baseURL = fake?.minimax.baseURL ?? "https://api.minimax.io";
const headers = {
  authorization: `Bearer ${process.env.MINIMAX_API_KEY ?? "offline"}`,
  "content-type": "application/json",
};

const session = new BudgetedSession({ budgetUsd: 1 });

async function minimax(path: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseURL}${path}`, { ...init, headers });
  const body = (await response.json()) as { base_resp?: { status_code: number; status_msg?: string } };
  if (!response.ok || body.base_resp?.status_code) {
    throw new Error(`MiniMax ${path} failed: ${body.base_resp?.status_msg ?? response.status}`);
  }
  return body as Record<string, unknown>;
}

/** One clip: submit, poll until it is ready, return its download URL. */
async function generateVideo(prompt: string, seconds: number, resolution: string): Promise<string> {
  const model = "MiniMax-Hailuo-02";
  const url = await session.guard(
    { provider: "minimax", model, operation: "video_generation", estimate: { seconds, resolution } },
    async (settle) => {
      const body = JSON.stringify({ model, prompt, duration: seconds, resolution });
      const { task_id: taskId } = await minimax("/v1/video_generation", { method: "POST", body });
      for (;;) {
        const task = await minimax(`/v1/query/video_generation?task_id=${taskId}`);
        if (task.status === "Fail") throw new Error("MiniMax could not make the video");
        if (task.status === "Success") {
          settle({ usage: { seconds } }); // MiniMax bills the clip it made
          const file = await minimax(`/v1/files/retrieve?file_id=${task.file_id}`);
          return (file.file as { download_url: string }).download_url;
        }
        await new Promise((resolve) => setTimeout(resolve, live ? 10_000 : 10));
      }
    },
  );
  return url;
}

console.log("video:", await generateVideo("A lighthouse at dusk, waves rolling in", 6, "768P"));
console.log(`spent $${session.getTotalSpent().toFixed(2)} of $${session.getBudget()}`);

try {
  // Two 10-second 768P clips would cost $1.12: the second no longer fits the remaining budget.
  await generateVideo("The same lighthouse at dawn", 10, "768P");
  await generateVideo("The same lighthouse at night", 10, "768P");
} catch (error) {
  if (!(error instanceof BudgetExceededError)) throw error;
  console.log("refused:", error.message);
}
console.log(`spent $${session.getTotalSpent().toFixed(2)}, reserved $${session.getReserved().toFixed(2)}`);
await fake?.close();
