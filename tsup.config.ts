import { cpSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "testing/index": "src/testing/index.ts",
    sqlite: "src/stores/sqlite.ts",
    redis: "src/stores/redis.ts",
    postgres: "src/stores/postgres/index.ts",
    cli: "src/cli/bin.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  shims: true,
  splitting: true,
  sourcemap: false,
  target: "node20",
  // The Redis store reads its Lua scripts from `./redis/` next to the module (dist/redis.js, dist/redis.cjs).
  onSuccess: async () => {
    cpSync("src/stores/redis", "dist/redis", { recursive: true });
    // The dashboard serves its page files from dist/dashboard/assets/ (see src/dashboard/server.ts).
    cpSync("src/dashboard/assets", "dist/dashboard/assets", { recursive: true });
  },
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
    "pg",
  ],
});
