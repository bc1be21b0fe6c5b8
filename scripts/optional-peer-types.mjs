// Runs after tsup (`npm run build`). The declaration files import types from optional peer dependencies
// (`openai`, `@anthropic-ai/sdk`, `ioredis`, ...). A project that installed only some of them would fail to
// compile with TypeScript's default `skipLibCheck: false` (TS2307: Cannot find module '@anthropic-ai/sdk').
// Each such import gets a `@ts-ignore`: when the peer is installed its real types are used; when it is not,
// its types are `any`, which only the code paths of that (absent) provider can see.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const optional = Object.keys(pkg.peerDependenciesMeta ?? {}).filter(
  (name) => pkg.peerDependenciesMeta[name].optional,
);
const dist = new URL("../dist/", import.meta.url).pathname;
const MARK = "// @ts-ignore optional peer dependency: `any` when it is not installed";

let patched = 0;
for (const file of readdirSync(dist, { recursive: true })) {
  if (!/\.d\.c?ts$/.test(file)) continue;
  const path = join(dist, file);
  const lines = readFileSync(path, "utf8").split("\n");
  const out = [];
  for (const [index, line] of lines.entries()) {
    const from = /^import .* from ['"]([^'"]+)['"];$/.exec(line)?.[1];
    const peer = from && optional.find((name) => from === name || from.startsWith(`${name}/`));
    if (peer && lines[index - 1] !== MARK) {
      out.push(MARK);
      patched++;
    }
    if (/^import\b/.test(line) && !line.endsWith(";")) {
      throw new Error(`${file}: a multi-line import, which this script cannot mark: ${line}`);
    }
    out.push(line);
  }
  writeFileSync(path, out.join("\n"));
}
console.log(`optional-peer-types: marked ${patched} imports of optional peers`);
