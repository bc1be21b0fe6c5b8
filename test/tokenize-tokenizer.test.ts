import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { countTokens as rawCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as rawO200k } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { countChatInput } from "../src/tokenize/chat.js";
import {
  countInChunks,
  createTokenizer,
  loadedTokenizer,
  loadTokenizer,
  tokenizerMemoStats,
} from "../src/tokenize/tokenizer.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const plain = { disallowedSpecial: new Set<string>() };
const o200k = (text: string) => rawO200k(text, plain);
const cl100k = (text: string) => rawCl100k(text, plain);

describe("loadTokenizer", () => {
  it("loads lazily, once per encoding, and shares concurrent first loads", async () => {
    expect(loadedTokenizer("cl100k_base")).toBeUndefined();
    const [a, b] = await Promise.all([loadTokenizer("cl100k_base"), loadTokenizer("cl100k_base")]);
    expect(a).toBe(b);
    expect(loadedTokenizer("cl100k_base")).toBe(a);
    expect(await loadTokenizer("cl100k_base")).toBe(a);
    expect(a.encoding).toBe("cl100k_base");
    expect(a.count("hello world")).toBe(2);
  });

  it("rejects an unknown encoding, and the next load still works", async () => {
    await expect(loadTokenizer("p50k_base" as never)).rejects.toThrow(TypeError);
    await expect(loadTokenizer("o200k_base")).resolves.toBeDefined();
  });

  it("importing the index loads no tokenizer (checked in a child process)", () => {
    // A module hook in a fresh process logs every resolved URL that belongs to gpt-tokenizer.
    const dir = mkdtempSync(join(tmpdir(), "spendguard-lazy-"));
    const trace = join(dir, "trace.txt");
    const hook = `
      import { appendFileSync } from "node:fs";
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        if (result.url.includes("gpt-tokenizer")) appendFileSync(process.env.SG_TRACE, result.url + "\\n");
        return result;
      }`;
    const register = join(dir, "register.mjs");
    writeFileSync(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`,
    );
    const index = pathToFileURL(join(root, "src/tokenize/index.ts")).href;
    const script = `
      import { existsSync, readFileSync } from "node:fs";
      const read = () => (existsSync(process.env.SG_TRACE) ? readFileSync(process.env.SG_TRACE, "utf8") : "");
      const started = performance.now();
      const index = await import(${JSON.stringify(index)});
      const importMs = performance.now() - started;
      const afterImport = read();
      const tokenizer = await index.loadTokenizer("o200k_base");
      console.log(JSON.stringify({ afterImport, afterLoad: read(), count: tokenizer.count("hello world"), importMs }));
    `;
    const output = execFileSync(
      process.execPath,
      ["--import", "tsx", "--import", pathToFileURL(register).href, "--input-type=module", "-e", script],
      { cwd: root, env: { ...process.env, SG_TRACE: trace }, encoding: "utf8" },
    );
    const result = JSON.parse(output.trim().split("\n").pop() ?? "{}");
    expect(result.afterImport).toBe("");
    // The hook works (it saw the lazy load), and only o200k's ranks, the costly part, were loaded.
    expect(result.afterLoad).toMatch(/bpeRanks\/o200k_base/);
    expect(result.afterLoad).not.toMatch(/bpeRanks\/cl100k_base/);
    expect(result.count).toBe(2);
  });
});

describe("memo", () => {
  function spyTokenizer(options?: Parameters<typeof createTokenizer>[2]) {
    const spy = { calls: 0, chars: 0, longest: 0 };
    const tokenizer = createTokenizer(
      "o200k_base",
      (text) => {
        spy.calls++;
        spy.chars += text.length;
        spy.longest = Math.max(spy.longest, text.length);
        return o200k(text);
      },
      options,
    );
    return { tokenizer, spy };
  }

  function conversation(turns: number) {
    const messages: { role: string; content: string }[] = [
      { role: "system", content: "You are an agent. ".repeat(20) },
    ];
    for (let i = 0; i < turns; i++) {
      messages.push({
        role: "user",
        content: `Turn ${i}: please look at file_${i}.ts and fix the failing test. `.repeat(6),
      });
      messages.push({
        role: "assistant",
        content: `I changed file_${i}.ts: the loop now stops at n - 1 (turn ${i}). `.repeat(8),
      });
    }
    return messages;
  }

  it("counts a 100-turn conversation incrementally: each turn tokenizes only its new text", () => {
    const { tokenizer, spy } = spyTokenizer();
    const full = conversation(100);
    let previousChars = 0;
    for (let turn = 1; turn <= 100; turn++) {
      const messages = full.slice(0, 2 * turn + 1);
      const before = spy.chars;
      const counted = countChatInput(tokenizer, { model: "gpt-4o", messages }).tokens;
      const newText = (full[2 * turn - 1]?.content.length ?? 0) + (full[2 * turn]?.content.length ?? 0);
      const shortText = messages.length * "assistant".length; // roles are short: counted directly
      if (turn > 1) expect(spy.chars - before).toBeLessThanOrEqual(newText + shortText);
      // the same as a recount without memo
      const fresh = createTokenizer("o200k_base", o200k, { memo: false });
      if (turn % 25 === 0) expect(counted).toBe(countChatInput(fresh, { model: "gpt-4o", messages }).tokens);
      previousChars = spy.chars;
    }
    const stats = tokenizer.memoStats();
    expect(stats.misses).toBe(201); // every long string once
    // turn t sends 2t + 1 messages, 2 of them new: all the others hit
    expect(stats.hits).toBe(100 * 101 + 100 - 201);
    expect(previousChars).toBeLessThan(
      2 * full.reduce((sum, m) => sum + m.content.length + m.role.length, 0),
    );
  });

  it("a second count of the same conversation hits the memo for every long string", async () => {
    const tokenizer = await loadTokenizer("o200k_base");
    const messages = conversation(10);
    const first = countChatInput(tokenizer, { model: "gpt-4o", messages }).tokens;
    const before = tokenizerMemoStats("o200k_base");
    const second = countChatInput(tokenizer, { model: "gpt-4o", messages }).tokens;
    const after = tokenizerMemoStats("o200k_base");
    expect(second).toBe(first);
    expect(after?.misses).toBe(before?.misses);
    expect((after?.hits ?? 0) - (before?.hits ?? 0)).toBe(messages.length);
  });

  it("is bounded by entries and by characters, evicting the least recently used", () => {
    const { tokenizer } = spyTokenizer({ maxEntries: 3, maxChars: 1_000 });
    const text = (i: number) => `${i} `.padEnd(100, "x");
    for (let i = 0; i < 3; i++) tokenizer.count(text(i));
    tokenizer.count(text(0)); // 0 is now the most recent
    tokenizer.count(text(3)); // evicts 1
    expect(tokenizer.memoStats()).toMatchObject({ entries: 3, chars: 300 });
    const misses = tokenizer.memoStats().misses;
    tokenizer.count(text(0));
    expect(tokenizer.memoStats().misses).toBe(misses);
    tokenizer.count(text(1));
    expect(tokenizer.memoStats().misses).toBe(misses + 1);

    tokenizer.count("y".repeat(900)); // over maxChars with the others: they go
    expect(tokenizer.memoStats().chars).toBeLessThanOrEqual(1_000);
    tokenizer.count("z".repeat(2_000)); // longer than maxChars: never stored
    expect(tokenizer.memoStats().chars).toBeLessThanOrEqual(1_000);
  });

  it("keys strings longer than V8 hashes by a sampled hash, verified on lookup", () => {
    const { tokenizer, spy } = spyTokenizer();
    const base = "word ".repeat(4_000);
    const a = `${base}alpha`;
    const b = `${base}gamma`; // same length, same samples but the end
    const c = `alpha${base}`.slice(0, a.length);
    expect(a.length).toBe(b.length);
    const counts = [a, b, c].map((s) => tokenizer.count(s));
    expect(counts).toEqual([o200k(a), o200k(b), o200k(c)]);
    const calls = spy.calls;
    expect([a, b, c].map((s) => tokenizer.count(s))).toEqual(counts);
    expect(spy.calls).toBe(calls);
    // 200 long strings of one length stay fast (V8 would hash them all alike)
    const started = performance.now();
    for (let i = 0; i < 200; i++) tokenizer.count(`${String(i).padStart(4, "0")}${base}`);
    for (let i = 0; i < 200; i++) tokenizer.count(`${String(i).padStart(4, "0")}${base}`);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("linear time", () => {
  const cjk = (n: number) => {
    const alphabet =
      "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学";
    let seed = 7;
    let s = "";
    for (let i = 0; i < n; i++) {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      s += alphabet[(seed >>> 16) % alphabet.length];
    }
    return s;
  };

  it("never hands the BPE more than 256 characters at once", () => {
    let longest = 0;
    const tokenizer = createTokenizer("o200k_base", (text) => {
      longest = Math.max(longest, text.length);
      return o200k(text);
    });
    for (const text of ["a".repeat(20_000), " ".repeat(20_000), cjk(20_000), "ab+/".repeat(5_000)]) {
      tokenizer.count(text);
    }
    expect(longest).toBeLessThanOrEqual(256);
  });

  it.each([
    ["a × 100,000", "a".repeat(100_000)],
    ["spaces × 100,000", " ".repeat(100_000)],
    ["CJK × 100,000 without punctuation", cjk(100_000)],
    ["digits × 100,000", "1234567890".repeat(10_000)],
  ])("counts %s quickly (gpt-tokenizer alone: seconds to a minute)", async (_, text) => {
    const tokenizer = createTokenizer("o200k_base", o200k);
    const started = performance.now();
    const tokens = tokenizer.count(text);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(text.length * 1.1);
  });

  it("stays an upper bound close to the exact count on a long run", () => {
    const text = "a".repeat(100_000); // exactly 12,500 tokens ("aaaaaaaa" is one)
    const tokens = createTokenizer("o200k_base", o200k).count(text);
    expect(tokens).toBeGreaterThanOrEqual(12_500);
    expect(tokens).toBeLessThan(12_500 * 1.1);
  });
});

describe("countInChunks", () => {
  const atoms = [
    "a",
    "Z",
    "é",
    "e\u0301",
    "'",
    "'s",
    "'T",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    ".",
    ",",
    "(",
    ")",
    "/",
    "1",
    "22",
    "333",
    "中",
    "日本",
    "한",
    "😀",
    "👍🏽",
    "\u200d",
    "-",
    '"',
    "<|endoftext|>",
    "ß",
    "ǅ",
    "ʰ",
    "٣",
    "Ⅻ",
    "。",
    "𠀀",
    "𝐀",
    "\u3000",
    "\u00a0",
    "\u0085",
    "word",
    " word",
    "Word's",
  ];
  const text = fc.array(fc.constantFrom(...atoms), { maxLength: 60 }).map((parts) => parts.join(""));

  it.each([
    ["o200k_base", o200k],
    ["cl100k_base", cl100k],
  ])("%s: exact when every cut is safe, an upper bound otherwise", (_, raw) => {
    fc.assert(
      fc.property(text, fc.integer({ min: 2, max: 12 }), (s, max) => {
        const { tokens, unsafeCuts } = countInChunks(s, raw, max, Math.floor(max / 2));
        const exact = raw(s);
        if (unsafeCuts === 0) expect(tokens).toBe(exact);
        expect(tokens).toBeGreaterThanOrEqual(exact);
      }),
      { numRuns: 2_000 },
    );
  });

  it("cuts ordinary prose only at safe places", () => {
    const prose = "The quick brown fox jumps over the lazy dog, again and again (and again). ".repeat(200);
    const result = countInChunks(prose, o200k);
    expect(result.unsafeCuts).toBe(0);
    expect(result.tokens).toBe(o200k(prose));
  });
});
