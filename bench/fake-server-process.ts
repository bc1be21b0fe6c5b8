// Runs the fake provider server in its own process for the benchmark (a real provider is not in the
// caller's process either). Prints its URL, then serves until stdin closes.
import { startFakeProviders } from "../src/testing/index.js";

const fake = await startFakeProviders();
fake.setDefault("openai.chat", (request) => {
  const body = request.body as { stream?: boolean };
  return body.stream ? { content: "tok ".repeat(1000).trim(), chunks: 1000 } : {};
});
process.stdout.write(`${fake.url}\n`);
process.stdin.resume();
process.stdin.on("end", () => void fake.close().then(() => process.exit(0)));
