import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { BudgetedSession, type CallRecord, type Keychain } from "../src/index.js";
import { redisStore } from "../src/stores/redis.js";
import { sqliteStore } from "../src/stores/sqlite.js";
import { freePort, type RedisServer, redisAvailable, startRedis } from "./fixtures/redis-server.js";
import { openaiClient, useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;
const folder = mkdtempSync(join(tmpdir(), "spendguard-cli-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const SECRET = "sk-test-secret-key";
/** Everything every command printed in this file: checked for the key at the end. */
const printed: string[] = [];

async function cli(args: string[], options: { stdin?: string; keychain?: Keychain } = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]) as NodeJS.ReadableStream,
    env: {},
    ...(options.keychain && { keychain: options.keychain }),
  });
  printed.push(stdout, stderr);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as unknown };
}

/** A store seeded by a scripted agent run: calls on two models, a refusal, a child budget. */
async function seeded(name: string) {
  const path = join(folder, `${name}.db`);
  const store = sqliteStore({ path });
  const session = new BudgetedSession({
    budgetUsd: 1,
    id: "agent",
    store,
    rules: { models: { deny: ["gpt-4.1"] } },
  });
  const openai = session.wrap(openaiClient(fake()));
  fake().script(
    "openai.chat",
    { usage: { prompt_tokens: 1000, completion_tokens: 200 } },
    { usage: { prompt_tokens: 500, completion_tokens: 50 } },
    { usage: { prompt_tokens: 300, completion_tokens: 30 } },
  );
  await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: user("a"),
    max_completion_tokens: 300,
  });
  await openai.chat.completions.create({ model: "gpt-4o", messages: user("b"), max_completion_tokens: 300 });
  await openai.chat.completions.create({ model: "gpt-4.1", messages: user("c") }).catch(() => undefined);
  const child = session.child({ id: "researcher", budgetUsd: 0.5 });
  await child.wrap(openaiClient(fake())).chat.completions.create({
    model: "gpt-4o-mini",
    messages: user("d"),
    max_completion_tokens: 100,
  });
  return { store, session, spec: `sqlite:${path}` };
}

describe("spendguard against a SQLite store seeded by real wrapped calls", () => {
  it("status --json of a session equals its getSummary()", async () => {
    const { session, spec } = await seeded("status");
    const result = await cli(["status", "agent", "--store", spec, "--json"]);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual(session.getSummary());
    await session.close();
  });

  it("a parent's summary tables add up to its spent, children included, in the CLI and getSummary() (item 7)", async () => {
    const { session, spec } = await seeded("subtree");
    const total = (byKey: Record<string, { spentUsd: number }>) =>
      Object.values(byKey).reduce((sum, totals) => sum + totals.spentUsd, 0);
    for (const summary of [
      session.getSummary(),
      (await cli(["status", "agent", "--store", spec, "--json"])).json(),
    ]) {
      const { spent, byModel, byProvider, requests } = summary as ReturnType<typeof session.getSummary>;
      expect(total(byModel)).toBeCloseTo(spent, 9);
      expect(total(byProvider)).toBeCloseTo(spent, 9);
      expect(requests).toBe(3);
    }
    await session.close();
  });

  it("status lists every budget, children under their parent, with a bar", async () => {
    const { session, spec } = await seeded("list");
    const result = await cli(["status", "--store", spec]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^agent\s+\$0\.\d+\s+\$1\.00\s+\[/m);
    expect(result.stdout).toMatch(/^ {2}agent\/researcher\s+\$0\.\d+\s+\$0\.50/m);
    const human = await cli(["status", "agent", "--store", spec]);
    expect(human.stdout).toContain("blocked by  model_not_allowed 1");
    // The parent's table covers its child's gpt-4o-mini call, as its spent does (issue 12, item 7).
    expect(human.stdout).toMatch(/gpt-4o-mini\s+2\s+\$/);
    await session.close();
  });

  it("history filters by session, status, model and limit, newest first", async () => {
    const { session, spec } = await seeded("history");
    const all = (await cli(["history", "--store", spec, "--json"])).json() as CallRecord[];
    expect(all).toHaveLength(4);
    expect(all[0]?.sessionId).toBe("agent/researcher");
    const blocked = (
      await cli(["history", "agent", "--status", "blocked", "--store", spec, "--json"])
    ).json() as CallRecord[];
    expect(blocked).toMatchObject([{ status: "blocked", reason: "model_not_allowed", model: "gpt-4.1" }]);
    const limited = (
      await cli(["history", "--limit", "1", "--model", "gpt-4o", "--store", spec, "--json"])
    ).json();
    expect(limited).toMatchObject([{ model: "gpt-4o" }]);
    const table = await cli(["history", "agent", "--store", spec]);
    expect(table.stdout).toMatch(/blocked\s+model_not_allowed/);
    await session.close();
  });

  it("report totals by model, provider and session add up to the spend", async () => {
    const { session, spec } = await seeded("report");
    const byModel = (await cli(["report", "--by", "model", "--store", spec, "--json"])).json() as {
      spentUsd: number;
    }[];
    const total = byModel.reduce((sum, row) => sum + row.spentUsd, 0);
    expect(total).toBeCloseTo(session.getTotalSpent(), 9);
    const bySession = (await cli(["report", "--by", "session", "--store", spec, "--json"])).json();
    expect(bySession).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: "agent", blocked: 1 }),
        expect.objectContaining({ key: "agent/researcher" }),
      ]),
    );
    const text = await cli(["report", "--by", "provider", "--store", spec]);
    expect(text.stdout).toMatch(/^openai\s+3\s+1\s+0\s+\$/m);
    await session.close();
  });

  it("budget set / clear / reset change what every session of the store enforces", async () => {
    const { session, spec, store } = await seeded("budget");
    expect((await cli(["budget", "set", "agent", "0.001", "--store", spec])).stdout).toContain(
      "set to $0.001",
    );
    await session.refresh();
    expect(session.getBudget()).toBe(0.001);
    const refused = await session
      .wrap(openaiClient(fake()))
      .chat.completions.create({ model: "gpt-4o-mini", messages: user("x") })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "budget_exceeded" });
    expect((await cli(["budget", "clear", "agent", "--store", spec])).code).toBe(0);
    expect((await cli(["budget", "reset", "agent", "--store", spec])).code).toBe(0);
    await session.refresh();
    expect(session.getBudget()).toBe(1);
    expect(session.getTotalSpent()).toBe(0);
    expect((await cli(["budget", "set", "new-tenant", "3", "--period", "month", "--store", spec])).code).toBe(
      0,
    );
    expect((await store.scopes()).find((scope) => scope.id === "new-tenant")).toMatchObject({
      period: "month",
    });
    await session.close();
  });

  it("panic on makes the next wrapped call refuse; panic off restores calls", async () => {
    const { session, spec } = await seeded("panic");
    const openai = session.wrap(openaiClient(fake()));
    expect((await cli(["panic", "on", "--store", spec])).stdout).toContain("Panic ON for 2 budget(s)");
    // No refresh needed: the store refuses at the hold, and turning panic off takes effect the same way.
    const before = fake().requests.length;
    await expect(
      openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("x") }),
    ).rejects.toMatchObject({
      code: "panic",
    });
    expect(fake().requests).toHaveLength(before);
    expect((await cli(["status", "--store", spec])).stdout).toContain("PANIC");
    await cli(["panic", "off", "--store", spec]);
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("x"),
      max_completion_tokens: 5,
    });
    await session.close();
  });

  it("answers usage errors with 2 and unknown budgets with 3", async () => {
    const { session, spec } = await seeded("errors");
    expect((await cli([])).code).toBe(2);
    expect((await cli(["status", "nobody", "--store", spec])).code).toBe(3);
    expect((await cli(["budget", "set", "agent", "lots", "--store", spec])).code).toBe(2);
    expect((await cli(["panic", "maybe", "--store", spec])).code).toBe(2);
    expect((await cli(["status"])).stderr).toContain("--store sqlite:PATH");
    expect((await cli(["status", "--store", "mongodb://x"])).code).toBe(2);
    expect((await cli(["history", "--limit", "0", "--store", spec])).code).toBe(2);
    expect((await cli(["report", "--by", "color", "--store", spec])).code).toBe(2);
    expect((await cli(["--nope"])).code).toBe(2);
    await session.close();
  });

  it("read commands never create a store: a path that does not exist is reported with 3, and no file appears", async () => {
    const typo = join(folder, "typo.db");
    for (const command of [["status"], ["history"], ["report"], ["status", "agent"]]) {
      const result = await cli([...command, "--store", `sqlite:${typo}`]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`No SQLite store at \`${typo}\` (the file does not exist)`);
      expect(existsSync(typo)).toBe(false);
    }
  });

  it("budget set under a parent that is not in the store is refused with 2 and registers nothing", async () => {
    const { session, spec } = await seeded("orphans");
    const orphan = await cli(["budget", "set", "nosuch/child", "1", "--store", spec]);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain(
      "Budget `nosuch/child` is a child of `nosuch`, which is not in this store",
    );
    expect((await cli(["status", "nosuch/child", "--store", spec])).code).toBe(3);
    // Under a parent that exists, a new child is pre-provisioned under it.
    expect((await cli(["budget", "set", "agent/tenant-7", "0.25", "--store", spec])).code).toBe(0);
    const listed = await cli(["status", "--store", spec, "--json"]);
    const tenant = (listed.json() as { id: string; parentId?: string }[]).find(
      (b) => b.id === "agent/tenant-7",
    );
    expect(tenant?.parentId).toBe("agent");
    await session.close();
  });
});

if (redisAvailable("test/cli.test.ts (Redis part)")) {
  describe("spendguard against a Redis store seeded by real wrapped calls", () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedis(await freePort());
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("status --json equals getSummary(), and panic reaches every process of the store", async () => {
      const store = redisStore({ url: server.url });
      const session = new BudgetedSession({ budgetUsd: 1, id: "fleet", store });
      const openai = session.wrap(openaiClient(fake()));
      fake().script("openai.chat", { usage: { prompt_tokens: 800, completion_tokens: 100 } });
      await openai.chat.completions.create({
        model: "gpt-4o",
        messages: user("a"),
        max_completion_tokens: 200,
      });
      await openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: user("b"),
        max_completion_tokens: 200,
      });
      const status = await cli(["status", "fleet", "--store", server.url, "--json"]);
      expect(status.code).toBe(0);
      expect(status.json()).toEqual(session.getSummary());

      expect((await cli(["panic", "on", "fleet", "--store", server.url])).code).toBe(0);
      await expect(
        openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("c") }),
      ).rejects.toMatchObject({
        code: "panic",
      });
      await cli(["panic", "off", "--store", server.url]);
      await openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: user("d"),
        max_completion_tokens: 5,
      });
      await session.close();
      await store.close?.();
    });
  });
}

describe("spendguard without a store", () => {
  it("prices: token tiers by layer, and the cheapest provider of a media model", async () => {
    const tokens = await cli(["prices", "gpt-4o-mini"]);
    expect(tokens.stdout).toMatch(/openai\s+standard\s+\$0\.15\s+\$0\.075\s+\$0\.60/);
    expect(tokens.stdout).toContain("source: genai-prices");
    const media = (await cli(["prices", "gpt-image-1.5", "--json"])).json() as {
      media: { cheapest: Record<string, { provider: string; usd: number }[]> };
    };
    expect(media.media.cheapest.high?.[0]).toMatchObject({ provider: "fal", usd: 0.133 });
    expect((await cli(["prices", "no-such-model-x"])).code).toBe(3);
  });

  it("estimate reads the request from stdin", async () => {
    const request = JSON.stringify({ messages: user("hello"), max_completion_tokens: 1000 });
    const result = await cli(["estimate", "--provider", "openai", "--model", "gpt-4o", "--json"], {
      stdin: request,
    });
    expect(result.code).toBe(0);
    // gpt-4o: $10 per million output tokens: 1,000 output tokens are $0.01 of the worst case.
    expect((result.json() as { costUsd: number }).costUsd).toBeGreaterThan(0.01);
    expect((await cli(["estimate", "--provider", "openai"], { stdin: "{not json" })).code).toBe(2);
  });

  it("keys: set from stdin (never argv), list masked, delete; the key is never printed", async () => {
    const entries = new Map<string, string>();
    const keychain: Keychain = {
      backend: "test",
      get: async (account) => entries.get(account) ?? null,
      set: async (account, secret) => void entries.set(account, secret),
      delete: async (account) => entries.delete(account),
      list: async () => [...entries.keys()].sort(),
    };
    expect((await cli(["keys", "set", "openai", SECRET], { keychain })).code).toBe(2);
    const set = await cli(["keys", "set", "openai"], { stdin: `${SECRET}\n`, keychain });
    expect(set.code).toBe(0);
    expect(entries.get("openai")).toBe(SECRET);
    const list = await cli(["keys", "list", "--json"], { keychain });
    expect(list.json()).toEqual([{ provider: "openai", key: "sk-…-key" }]);
    expect((await cli(["keys", "delete", "openai"], { keychain })).code).toBe(0);
    expect((await cli(["keys", "delete", "openai"], { keychain })).code).toBe(3);
  });

  it("per-command help, --version, and help that names the exit codes (issue 12, item 5)", async () => {
    const general = await cli(["--help"]);
    expect(general.code).toBe(0);
    expect(general.stdout).toMatch(
      /Exit codes:\n {2}0 {2}ok\n {2}1 .*\n {2}2 {2}usage.*\n {2}3 {2}not found/,
    );
    for (const args of [
      ["history", "--help"],
      ["history", "-h"],
      ["help", "history"],
    ]) {
      const help = await cli(args);
      expect(help.code, args.join(" ")).toBe(0);
      expect(help.stdout).toMatch(/^Usage: spendguard history \[SESSION\] \[--limit N\]/);
      expect(help.stdout).not.toContain("panic on|off");
    }
    const pkg = (await import("../package.json", { with: { type: "json" } })).default;
    for (const flag of ["--version", "-v"]) {
      const version = await cli([flag]);
      expect(version.code).toBe(0);
      expect(version.stdout.trim()).toBe(pkg.version);
    }
  });

  it("usage mistakes exit 2 in spendguard's own words; unknown budgets exit 3 for every command (item 5)", async () => {
    const { session, spec } = await seeded("usage-codes");
    const negative = await cli(["history", "--limit", "-1", "--store", spec]);
    expect([negative.code, negative.stderr]).toEqual([
      2,
      "spendguard: Expected --limit to be an integer >= 1\n",
    ]);
    const foreign = await cli(["status", "--limit", "3", "--store", spec]);
    expect([foreign.code, foreign.stderr]).toEqual([
      2,
      "spendguard: `status` does not take --limit: run spendguard status --help\n",
    ]);
    const unknown = await cli(["status", "--colour", "--store", spec]);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      "spendguard: Unknown option `--colour`: run spendguard --help\n",
    ]);
    const missingValue = await cli(["history", "--store"]);
    expect([missingValue.code, missingValue.stderr]).toEqual([
      2,
      "spendguard: Option `--store` needs a value\n",
    ]);
    for (const result of [unknown, missingValue, negative])
      expect(result.stderr).not.toMatch(/positional|'--'/);
    const history = await cli(["history", "nosuch", "--store", spec]);
    const status = await cli(["status", "nosuch", "--store", spec]);
    expect([history.code, history.stderr]).toEqual([3, "spendguard: No budget `nosuch` in this store\n"]);
    expect(status.code).toBe(3);
    const empty = await cli(["estimate", "--provider", "openai", "--model", "gpt-4o"], { stdin: "" });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^spendguard: Expected the request's params as JSON on stdin, got nothing/);
    const provider = await cli(["estimate", "--provider", "opneai"], { stdin: "{}" });
    expect([provider.code, provider.stderr]).toEqual([
      2,
      'spendguard: Unknown provider "opneai": expected openai, anthropic or fal\n',
    ]);
    await session.close();
  });

  it("never printed an API key in any command of this file", () => {
    for (const output of printed) expect(output).not.toContain(SECRET);
  });
});
