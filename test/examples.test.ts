import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProviders } from "../src/testing/index.js";
import { freePort, type RedisServer, redisAvailable, startRedis } from "./fixtures/redis-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Runs an example the way a user would (`tsx examples/x.ts`), offline: no OPENAI_API_KEY, so the fake server.
 * `exitMs` is how long the process took to exit after it last wrote anything: a process that does what the
 * README shows must exit by itself (nothing left open), within 5 s.
 */
async function runExample(
  file: string,
  args: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; status: number | null; exitMs: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  for (const name of [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "FAL_KEY",
    "MINIMAX_API_KEY",
  ]) {
    delete env[name];
  }
  const child = spawn(
    process.execPath,
    ["--import", "tsx", file.includes("/") ? file : `examples/${file}`, ...args],
    {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  let lastOutput = Date.now();
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    lastOutput = Date.now();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    lastOutput = Date.now();
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const status = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  clearTimeout(killer);
  return { stdout, stderr, status, exitMs: Date.now() - lastOutput };
}

describe("examples, offline against the fake providers", () => {
  it("quickstart.ts answers and reports the spend", async () => {
    const result = await runExample("quickstart.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toContain("reply: Hello from the fake provider.");
    expect(result.stdout).toMatch(/spent \$0\.0000\d+ of \$0\.05 \(1 call\)/);
  });

  it("wrap-existing-client.ts keeps withResponse() and streams working", async () => {
    const result = await runExample("wrap-existing-client.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toContain("the same client, metered: true");
    expect(result.stdout).toMatch(/request id: req_\d+/);
    expect(result.stdout).toContain("streamed: Hello from the fake provider.");
    expect(result.stdout).toMatch(/last call: gpt-4o-mini, \$0\.\d+ from usage/);
  });

  it("concurrent-agents.ts never overspends the shared budget", async () => {
    const result = await runExample("concurrent-agents.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toContain("PASS: spent stayed within the budget");
    expect(result.stdout).toMatch(/refused: [1-9]/);
    expect(result.stdout).toContain("reserved $0.000000");
  });

  it("demo.ts (npm run demo) shows costs, a warning, the refusal and a summary", async () => {
    const result = await runExample("demo.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toMatch(/charged \$0\.\d{5}/);
    expect(result.stdout).toMatch(/warning: 30% of the budget used/);
    expect(result.stdout).toMatch(/✗ Budget exceeded for session `demo-agent`/);
    expect(result.stdout).toContain("Committed spend stayed within the budget.");
  });

  it("anthropic.ts prices the cache write, then the cache read, and meters the stream helper", async () => {
    const result = await runExample("anthropic.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toMatch(/cache read 0, cache write [1-9]\d+/);
    expect(result.stdout).toMatch(/cache read [1-9]\d+, cache write 0/);
    expect(result.stdout).toContain("streamed: Hello from the fake provider.");
    expect(result.stdout).toMatch(/in 3 calls/);
  });

  it("fal-images.ts estimates, settles from billed units and refuses what does not fit", async () => {
    const result = await runExample("fal-images.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toContain("estimate: $0.050");
    expect(result.stdout).toContain("spent $0.050 of $0.1");
    expect(result.stdout).toMatch(/refused: Budget exceeded .* \$0\.400000/);
  });

  it("minimax-video.ts holds the clip's price and refuses the clip that does not fit", async () => {
    const result = await runExample("minimax-video.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toMatch(/video: http:\/\/127\.0\.0\.1:\d+\/minimax\/files\//);
    expect(result.stdout).toContain("spent $0.28 of $1");
    expect(result.stdout).toMatch(/refused: Budget exceeded .* \$0\.560000/);
    expect(result.stdout).toContain("spent $0.84, reserved $0.00");
  });

  it("minimax-tts.ts holds per character and settles the characters MiniMax billed", async () => {
    const result = await runExample("minimax-tts.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toMatch(/audio: \d+ bytes/);
    expect(result.stdout).toContain("held $0.005800, charged $0.005000");
  });

  it("daily-budget-sqlite.ts shares one daily budget between two sessions on one file, and renews it the next day", async () => {
    const result = await runExample("daily-budget-sqlite.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.exitMs).toBeLessThan(5000);
    expect(result.stdout).toContain("agent B sees today's spend: $0.001200 of $0.002");
    expect(result.stdout).toContain("agent B: 1 call(s), then refused");
    expect(result.stdout).toMatch(
      /--- the next day \(UTC\) ---\nagent A: 1 call\(s\)\ntoday: \$0\.000600 spent/,
    );
  });

  it("demo.ts --live refuses to start without an API key", async () => {
    const result = await runExample("demo.ts", ["--live"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--live needs OPENAI_API_KEY");
  });
});

if (redisAvailable("test/examples.test.ts (Redis example)")) {
  describe("the Redis example", () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedis(await freePort());
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("a README-style script on redisStore({ url }) exits within 5 s of its last line, Redis up and down", async () => {
      const fake = await startFakeProviders();
      try {
        const env = { PROVIDER_URL: fake.openai.baseURL, BUDGET_ID: `readme-${Date.now().toString(36)}` };
        const up = await runExample("test/fixtures/readme-redis.ts", [], { ...env, REDIS_URL: server.url });
        expect(up.stderr).toBe("");
        expect(up.stdout).toMatch(/^spent \$0\.0000\d+\nlast line\n$/);
        expect(up.status).toBe(0);
        expect(up.exitMs).toBeLessThan(5000);
        const closedPort = await freePort();
        const down = await runExample("test/fixtures/readme-redis.ts", [], {
          ...env,
          REDIS_URL: `redis://127.0.0.1:${closedPort}`,
        });
        expect(down.stderr).toBe("");
        expect(down.stdout).toMatch(/^refused: .*\nlast line\n$/);
        expect(down.status).toBe(0);
        expect(down.exitMs).toBeLessThan(5000);
      } finally {
        await fake.close();
      }
    });

    it("shared-budget-redis.ts with Redis down: every call refused (fail closed), and every process exits", async () => {
      const result = await runExample("shared-budget-redis.ts", [], {
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      });
      expect(result.stdout.match(/^worker \d: 0 calls made, 0 refused$/gm)).toHaveLength(3);
      expect(result.stderr).toContain("did not answer: connection refused");
      expect(result.exitMs).toBeLessThan(5000);
    });

    it("shared-budget-redis.ts: three processes on one Redis budget never overspend it", async () => {
      const result = await runExample("shared-budget-redis.ts", [], { REDIS_URL: server.url });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.exitMs).toBeLessThan(5000);
      expect(result.stdout.match(/^worker \d: \d+ calls made, \d+ refused$/gm)).toHaveLength(3);
      expect(result.stdout).toMatch(
        /calls in 3 processes; spent \$0\.00\d+ of \$0\.01, reserved \$0\.000000/,
      );
      expect(result.stdout).toContain("PASS: the shared budget held");
    });
  });
}
