// A fal client created by spendguard: each image request holds its worst case from fal's price table
// (per image, per megapixel, per second of video) and settles from the units fal billed.
// Offline by default: without FAL_KEY it talks to spendguard's fake provider server.
import { createFalClient } from "@fal-ai/client";
import { BudgetExceededError, BudgetedSession } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const fake = process.env.FAL_KEY ? undefined : await startFakeProviders();

const fal = BudgetedSession.fal({
  budgetUsd: 0.1,
  createFalClient,
  ...(fake && { clientConfig: fake.fal.config() }),
});

// What would it cost? Estimates need no network.
const estimate = await fal.session.estimate({
  provider: "fal",
  operation: "fal-ai/flux/dev",
  params: { input: { prompt: "x", image_size: "landscape_16_9", num_images: 2 } },
});
console.log(`estimate: $${estimate.costUsd.toFixed(3)} (${estimate.notes.join("; ")})`);

const result = await fal.subscribe("fal-ai/flux/dev", {
  input: { prompt: "A lighthouse at dusk", image_size: "landscape_16_9", num_images: 2 },
});
console.log(`images: ${result.data.images.length}, request ${result.requestId}`);
console.log(`spent $${fal.session.getTotalSpent().toFixed(3)} of $${fal.session.getBudget()}`);

try {
  // 4 images of 4 MP each at $0.025 per MP: $0.40, more than what is left.
  await fal.subscribe("fal-ai/flux/dev", {
    input: { prompt: "A poster", image_size: { width: 2048, height: 2048 }, num_images: 4 },
  });
} catch (error) {
  if (!(error instanceof BudgetExceededError)) throw error;
  console.log("refused:", error.message);
}
await fake?.close();
