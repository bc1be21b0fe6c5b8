import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));
const spendguard = [
  { find: /^spendguard\/testing$/, replacement: src("testing/index.ts") },
  { find: /^spendguard$/, replacement: src("index.ts") },
];

/**
 * Two projects: the whole suite against openai 6, and every in-process test that drives the real OpenAI client
 * again against openai 7 (installed as `openai-v7`; it needs Node 22, so that project runs only there).
 */
const OPENAI_7_TESTS = [
  "test/openai-chat.test.ts",
  "test/openai-endpoints.test.ts",
  "test/fake-openai-*.test.ts",
  "test/wire-attacks.test.ts",
  "test/invariant.test.ts",
  "test/safety.test.ts",
  "test/factory-keys.test.ts",
  "test/sdk-fidelity.test.ts",
];
const nodeMajor = Number(process.versions.node.split(".")[0]);

export default defineConfig({
  test: {
    root,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        resolve: { alias: spendguard },
        test: {
          name: "openai-6",
          root,
          include: ["test/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      ...(nodeMajor >= 22
        ? [
            {
              resolve: {
                alias: [...spendguard, { find: /^openai(\/.*)?$/, replacement: "openai-v7$1" }],
              },
              test: {
                name: "openai-7",
                root,
                include: OPENAI_7_TESTS,
                testTimeout: 30_000,
                hookTimeout: 30_000,
              },
            },
          ]
        : []),
    ],
  },
});
