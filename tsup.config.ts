import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "testing/index": "src/testing/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  shims: true,
  splitting: true,
  sourcemap: false,
  target: "node20",
  external: [
    "openai",
    "@anthropic-ai/sdk",
    "@fal-ai/client",
    "gpt-tokenizer",
    "@pydantic/genai-prices",
    "@napi-rs/keyring",
    "keytar",
    "better-sqlite3",
    "ioredis",
  ],
});
