// Metering MiniMax speech (text to audio) over plain HTTP: held per billable character before the request,
// settled from the characters MiniMax reports it billed. Offline by default (the fake server).
import { BudgetedSession } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const fake = process.env.MINIMAX_API_KEY ? undefined : await startFakeProviders();
const baseURL = fake?.minimax.baseURL ?? "https://api.minimax.io";

const session = new BudgetedSession({
  budgetUsd: 0.01,
  onCost: (record) => console.log(`charged $${record.actualUsd.toFixed(6)} for ${record.model}`),
});

async function speak(text: string): Promise<Buffer> {
  const model = "speech-02-hd";
  return session.guard(
    { provider: "minimax", model, operation: "t2a_v2", estimate: { text } },
    async (settle) => {
      const response = await fetch(`${baseURL}/v1/t2a_v2`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${process.env.MINIMAX_API_KEY ?? "offline"}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ model, text, voice_setting: { voice_id: "English_Graceful_Lady" } }),
      });
      const body = (await response.json()) as {
        data?: { audio: string };
        extra_info?: { usage_characters: number };
        base_resp: { status_code: number; status_msg: string };
      };
      if (body.base_resp.status_code !== 0 || !body.data)
        throw new Error(`MiniMax: ${body.base_resp.status_msg}`);
      if (body.extra_info) settle({ usage: { characters: body.extra_info.usage_characters } });
      return Buffer.from(body.data.audio, "hex");
    },
  );
}

const audio = await speak("Budgets are hard limits, not suggestions. 预算是硬性上限。");
console.log(`audio: ${audio.length} bytes`);
const [record] = await session.history();
console.log(`held $${record?.heldUsd.toFixed(6)}, charged $${record?.actualUsd.toFixed(6)}`);
await fake?.close();
