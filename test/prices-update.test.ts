import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Anthropic from "@anthropic-ai/sdk";
import { createFalClient } from "@fal-ai/client";
import { waitForUpdate } from "@pydantic/genai-prices";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import {
  BudgetedSession,
  previewPriceUpdate,
  SnapshotError,
  UnknownPriceError,
  updatePrices,
} from "../src/index.js";
import { TOKEN_PRICES } from "../src/pricing/data/token-prices.js";
import { BUNDLED_SNAPSHOT, TABLE_FORMAT } from "../src/pricing/snapshot/index.js";
import { validateGenaiData, validateTable } from "../src/pricing/snapshot/validate.js";
import { useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const anthropicClient = () =>
  new Anthropic({ apiKey: "sk-ant-test", baseURL: context.fake.anthropic.baseURL, maxRetries: 0 });
const folder = mkdtempSync(join(tmpdir(), "spendguard-prices-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Fixture documents served by a local HTTP server, by path; replace them between tests. */
const served = new Map<string, { status: number; body: string }>();
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    const document = served.get(request.url ?? "");
    response.writeHead(document?.status ?? 404, { "content-type": "application/json" });
    response.end(document?.body ?? "{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function serve(path: string, body: unknown, status = 200): string {
  served.set(path, { status, body: typeof body === "string" ? body : JSON.stringify(body) });
  return `${base}${path}`;
}

type Providers = NonNullable<Awaited<ReturnType<typeof waitForUpdate>>>;
/** genai-prices' bundled data plus a model it does not know: what a newer data.json would add. */
async function genaiWithNewModel(): Promise<Providers> {
  const providers = structuredClone((await waitForUpdate()) ?? []) as Providers;
  const anthropic = providers.find((provider) => provider.id === "anthropic");
  anthropic?.models.push({
    id: "claude-haiku-6",
    match: { equals: "claude-haiku-6" },
    prices: { input_mtok: 1.5, output_mtok: 7.5, cache_read_mtok: 0.15 },
  });
  return providers;
}

const table = (rows = TOKEN_PRICES) => ({ format: TABLE_FORMAT, tokens: rows });
const listing = (dir: string) => readdirSync(dir).sort();

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([]) as NodeJS.ReadableStream,
    env,
  });
  return { code, stdout, stderr };
}

async function callHaiku6(session: BudgetedSession) {
  const client = session.wrap(anthropicClient());
  context.fake.script("anthropic.messages", { usage: { input_tokens: 1000, output_tokens: 100 } });
  return client.messages.create({ model: "claude-haiku-6", max_tokens: 100, messages: user("hi") });
}

describe("validation of downloaded price data", () => {
  it("accepts genai-prices' own bundled data and spendguard's bundled table", async () => {
    expect(validateGenaiData(await waitForUpdate()).length).toBeGreaterThan(10);
    expect(validateTable(table())).toHaveLength(TOKEN_PRICES.length);
  });

  it.each([
    [
      "a negative rate",
      { input_mtok: -1, output_mtok: 2 },
      "anthropic/claude-bad input_mtok: expected a rate >= 0, got -1",
    ],
    ["a missing rate", { input_mtok: null, output_mtok: 2 }, "anthropic/claude-bad input_mtok: missing rate"],
    ["prices that are not an object", "free", "anthropic/claude-bad: expected at least one price"],
    [
      "a bad tier",
      { input_mtok: { base: 1, tiers: [{ start: -5, price: 2 }] } },
      "tiers[0].start: expected an integer >= 0",
    ],
  ])("rejects %s, naming the model and the rate", (_, prices, message) => {
    const data = [
      { id: "anthropic", models: [{ id: "claude-bad", match: { equals: "claude-bad" }, prices }] },
    ];
    expect(() => validateGenaiData(data)).toThrow(SnapshotError);
    expect(() => validateGenaiData(data)).toThrow(message);
  });

  it("rejects a table row without an output rate or a source", () => {
    const row = { provider: "anthropic", model: "claude-x", prices: { input_mtok: 1 } };
    const error = (() => {
      try {
        validateTable(table([row as never]));
      } catch (e) {
        return e as SnapshotError;
      }
    })();
    expect(error?.problems).toEqual([
      "anthropic/claude-x output_mtok: missing rate",
      "anthropic/claude-x: expected a source { url, asOf, evidence }",
    ]);
  });
});

describe("spendguard prices update", () => {
  it("adds a model from a fixture server: refused before, priced in the next session, old sessions unchanged", async () => {
    const dir = join(folder, "added");
    const before = new BudgetedSession({ budgetUsd: 1 });
    await expect(callHaiku6(before)).rejects.toBeInstanceOf(UnknownPriceError);
    expect(() => new BudgetedSession({ budgetUsd: 1, pricing: { snapshot: dir } })).toThrow(
      /No price snapshot/,
    );

    const genai = serve("/added/data.json", await genaiWithNewModel());
    const result = await updatePrices({ dir, genai, table: serve("/added/table.json", table()) });
    expect(result).toMatchObject({ written: true, current: BUNDLED_SNAPSHOT, findings: [] });
    expect(result.changes).toEqual([
      {
        model: "anthropic/claude-haiku-6",
        kind: "added",
        after: { input_mtok: 1.5, output_mtok: 7.5, cache_read_mtok: 0.15 },
      },
    ]);

    const after = new BudgetedSession({ budgetUsd: 1, pricing: { snapshot: dir } });
    await callHaiku6(after);
    const [record] = await after.history();
    expect(record?.actualUsd).toBeCloseTo((1000 * 1.5 + 100 * 7.5) / 1e6, 12);
    expect(record).toMatchObject({ priceSnapshot: result.candidate.version, costSource: "local" });
    expect(record?.priceSource?.detail).toContain(result.candidate.version);
    // the same directory through the environment variable, and a running session that predates the update
    process.env.SPENDGUARD_PRICES = dir;
    try {
      await callHaiku6(new BudgetedSession({ budgetUsd: 1 }));
    } finally {
      delete process.env.SPENDGUARD_PRICES;
    }
    await expect(callHaiku6(before)).rejects.toBeInstanceOf(UnknownPriceError);
    expect((await before.history())[0]).toMatchObject({
      priceSnapshot: BUNDLED_SNAPSHOT,
      costSource: "local",
    });

    // the same sources again: nothing to write
    const again = await updatePrices({ dir, genai, table: serve("/added/table.json", table()) });
    expect(again).toMatchObject({ written: false, changes: [] });
  });

  it("keeps download tokens out of the snapshot and the records, and prices with no network at all", async () => {
    const dir = join(folder, "secret");
    serve("/secret/data.json", await genaiWithNewModel());
    const secretUrl = `${base.replace("http://", "http://user:hunter2@")}/secret/data.json?token=sk-download-secret`;
    served.set("/secret/data.json?token=sk-download-secret", served.get("/secret/data.json") as never);
    const result = await updatePrices({ dir, genai: secretUrl });
    const written = readdirSync(dir)
      .map((file) => readFileSync(join(dir, file), "utf8"))
      .join("\n");
    expect(written).not.toContain("hunter2");
    expect(written).not.toContain("sk-download-secret");
    expect(result.candidate.sources.genai).toBe(`${base}/secret/data.json`);

    const realFetch = globalThis.fetch;
    globalThis.fetch = (() => Promise.reject(new Error("no network on a call"))) as typeof fetch;
    try {
      const session = new BudgetedSession({ budgetUsd: 1, pricing: { snapshot: dir } });
      const estimate = await session.estimate({
        provider: "anthropic",
        operation: "messages.create",
        params: { model: "claude-haiku-6", max_tokens: 100, messages: user("hi") },
      });
      expect(estimate.priceSource.detail).toContain(result.candidate.version);
      expect(estimate.priceSource.detail).not.toContain("sk-download-secret");
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("prices the bundled table's models from a snapshot too (claude-sonnet-5-5 stays priced)", async () => {
    const dir = join(folder, "table");
    await updatePrices({ dir, genai: serve("/table/data.json", await genaiWithNewModel()) });
    const session = new BudgetedSession({ budgetUsd: 1, pricing: { snapshot: dir } });
    const client = session.wrap(anthropicClient());
    context.fake.script("anthropic.messages", { usage: { input_tokens: 1000, output_tokens: 100 } });
    await client.messages.create({ model: "claude-sonnet-5-5", max_tokens: 100, messages: user("hi") });
    const [record] = await session.history();
    expect(record?.actualUsd).toBeCloseTo((1000 * 2 + 100 * 10) / 1e6, 12);
    expect(record?.priceSnapshot).toMatch(/^2026-.*Z-[0-9a-f]{8}$/);
    // media prices are not in snapshots: a fal call on the same session says it was priced from the bundled data
    const fal = session.wrap(createFalClient(context.fake.fal.config()));
    await fal.subscribe("fal-ai/flux/dev", { input: { prompt: "x" } });
    const [media] = await session.history();
    expect(media).toMatchObject({ provider: "fal", priceSnapshot: BUNDLED_SNAPSHOT, costSource: "local" });
  });

  describe("rejects a malformed or suspicious update with a clear message and changes nothing", () => {
    const dir = join(folder, "guarded");
    let files: string[];
    let pointer: string;
    beforeAll(async () => {
      await updatePrices({ dir, genai: serve("/guarded/data.json", await genaiWithNewModel()) });
      files = listing(dir);
      pointer = readFileSync(join(dir, "current.json"), "utf8");
    });
    const unchanged = () => {
      expect(listing(dir)).toEqual(files);
      expect(readFileSync(join(dir, "current.json"), "utf8")).toBe(pointer);
    };

    it("a price that moved more than the allowed factor, until --force", async () => {
      const genai = await genaiWithNewModel();
      const haiku = genai.find((p) => p.id === "anthropic")?.models.find((m) => m.id === "claude-haiku-6");
      if (haiku) haiku.prices = { input_mtok: 15, output_mtok: 7.5, cache_read_mtok: 0.15 };
      const url = serve("/guarded/tenfold.json", genai);
      const error = await updatePrices({ dir, genai: url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SnapshotError);
      expect((error as Error).message).toContain("--force");
      expect((error as Error).message).toContain(
        "anthropic/claude-haiku-6: a rate changed by 10x (more than 2x): changed anthropic/claude-haiku-6: input_mtok 1.5 → 15",
      );
      unchanged();
      // a wider limit lets it through; so does --force
      const preview = await previewPriceUpdate({ dir, genai: url, limits: { maxFactor: 12 } });
      expect(preview.findings).toEqual([]);
      unchanged();
    });

    it("a source that drops many models", async () => {
      const genai = (await genaiWithNewModel()).filter((provider) => provider.id === "anthropic");
      const error = await updatePrices({ dir, genai: serve("/guarded/few.json", genai) }).catch(
        (e: unknown) => e,
      );
      expect((error as Error).message).toMatch(/\d+ of \d+ models would be removed \(more than 5%\)/);
      unchanged();
    });

    it.each([
      ["not JSON", "<html>rate limited</html>", 200, "is not JSON"],
      ["an HTTP error", "{}", 503, "answered HTTP 503"],
      [
        "a negative price",
        [{ id: "x", models: [{ id: "m", match: { equals: "m" }, prices: { input_mtok: -2 } }] }],
        200,
        "x/m input_mtok: expected a rate >= 0, got -2",
      ],
      ["an empty list", [], 200, "non-empty array of providers"],
    ])("%s", async (name, body, status, message) => {
      const url = serve(`/guarded/${name.replace(/\W/g, "-")}`, body, status);
      const error = await updatePrices({ dir, genai: url, force: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SnapshotError);
      expect((error as Error).message).toContain(message);
      unchanged();
    });

    it("an unreachable source, and a missing file", async () => {
      const closed = `http://127.0.0.1:1/data.json`;
      await expect(updatePrices({ dir, genai: closed })).rejects.toThrow(`Could not download \`${closed}\``);
      await expect(updatePrices({ dir, genai: join(dir, "nope.json") })).rejects.toThrow("Could not read");
      unchanged();
    });

    it("a snapshot file that was corrupted after writing fails the call closed, naming the file", async () => {
      const current = JSON.parse(pointer) as { file: string };
      const copy = join(folder, "corrupted");
      rmSync(copy, { recursive: true, force: true });
      await updatePrices({ dir: copy, genai: serve("/guarded/data.json", await genaiWithNewModel()) });
      const written = JSON.parse(readFileSync(join(copy, "current.json"), "utf8")) as { file: string };
      writeFileSync(join(copy, written.file), "{ truncated");
      const session = new BudgetedSession({ budgetUsd: 1, pricing: { snapshot: copy } });
      const sent = context.fake.requests.length;
      await expect(callHaiku6(session)).rejects.toThrow(written.file);
      expect(context.fake.requests).toHaveLength(sent);
      expect(current.file).toMatch(/^prices-.*\.json$/);
    });
  });
});

describe("the CLI", () => {
  it("prices diff shows what an update would change and writes nothing; update writes it", async () => {
    const dir = join(folder, "cli");
    const genai = serve("/cli/data.json", await genaiWithNewModel());
    const diff = await cli(["prices", "diff", "--dir", dir, "--genai", genai]);
    expect(diff.stderr).toBe("");
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain(`${BUNDLED_SNAPSHOT} → `);
    expect(diff.stdout).toContain(
      "added anthropic/claude-haiku-6: input_mtok 1.5, output_mtok 7.5, cache_read_mtok 0.15",
    );
    expect(() => readdirSync(dir)).toThrow();

    const update = await cli(["prices", "update", "--genai", genai, "--json"], { SPENDGUARD_PRICES: dir });
    expect(update.code).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({ written: true, findings: [] });
    expect(listing(dir)).toHaveLength(2);
  });

  it("exits 1 with the findings on a suspicious update, 2 without a directory", async () => {
    const dir = join(folder, "cli-suspicious");
    const few = (await genaiWithNewModel()).filter((provider) => provider.id === "openai");
    const result = await cli(["prices", "update", "--dir", dir, "--genai", serve("/cli/few.json", few)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("models would be removed");
    expect(() => readdirSync(dir)).toThrow();
    expect((await cli(["prices", "update"])).code).toBe(2);
    expect((await cli(["prices", "update", "--dir", dir, "--max-change", "0.5"])).stderr).toContain(
      "--max-change",
    );
  });
});
