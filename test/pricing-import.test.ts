import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

// A loader hook in a fresh Node process makes any import of the package throw: importing the pricing layer must
// not trip it, and the first price lookup must (which proves the hook would have caught an eager import).
const script = `
import { register } from "node:module";
const hook = 'export async function resolve(specifier, context, next) {' +
  ' if (specifier.startsWith("@pydantic/genai-prices")) throw new Error("genai-prices was imported");' +
  ' return next(specifier, context); }';
register("data:text/javascript," + encodeURIComponent(hook));
const pricing = await import("./src/pricing/index.ts");
let lookup = "resolved";
try {
  await pricing.createPriceCatalog().tokenPrice("openai", "gpt-4o", "standard");
} catch (error) {
  lookup = error.message;
}
console.log(JSON.stringify({ imported: typeof pricing.createPriceCatalog, lookup }));
`;

it("importing src/pricing/index.ts does not load @pydantic/genai-prices; the first lookup does", () => {
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    timeout: 20_000,
  });
  expect(child.stderr).toBe("");
  expect(JSON.parse(child.stdout.trim())).toEqual({
    imported: "function",
    lookup: "genai-prices was imported",
  });
});
