import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Issue 12, items 2, 3 and 4: the package as `npm pack` makes it, installed (offline) in projects that have only
 * `openai`, compiled with `strict` and TypeScript's default `skipLibCheck: false`, and imported at run time.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(root, "node_modules/typescript/lib/tsc.js");
let work: string;
let packed: string;
let packedFiles: string[];

/** A project with the packed spendguard and, of the optional peers, only `openai`. */
function project(name: string, packageJson: object, compilerOptions: object, file: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  cpSync(packed, join(dir, "node_modules/spendguard"), { recursive: true });
  for (const dependency of ["openai", "@pydantic/genai-prices", "gpt-tokenizer"]) {
    mkdirSync(join(dir, "node_modules", dependency, ".."), { recursive: true });
    symlinkSync(join(root, "node_modules", dependency), join(dir, "node_modules", dependency), "dir");
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...packageJson }));
  const tsconfig = {
    compilerOptions: { strict: true, noEmit: true, types: [], ...compilerOptions },
    files: [file],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  cpSync(join(root, "test/fixtures/consumer/usage.ts"), join(dir, file));
  return dir;
}

function compile(dir: string): string {
  const result = spawnSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8", timeout: 120_000 });
  return `${result.stdout}${result.stderr}`.trim();
}

describe("the packed package in a consumer project", () => {
  beforeAll(() => {
    const types = join(root, "dist/index.d.ts");
    if (!existsSync(types) || !readFileSync(types, "utf8").includes("optional peer dependency")) {
      execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
    }
    work = mkdtempSync(join(tmpdir(), "sg-consumer-"));
    const [info] = JSON.parse(
      execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
        cwd: root,
        encoding: "utf8",
      }),
    ) as { filename: string; files: { path: string }[] }[];
    packedFiles = (info?.files ?? []).map((file) => file.path);
    execFileSync("tar", ["-xzf", join(work, info?.filename ?? ""), "-C", work]);
    packed = join(work, "package");
  }, 180_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("contains the build, the licence and the repository (item 4)", () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        "LICENSE",
        "README.md",
        "package.json",
        "dist/index.js",
        "dist/index.cjs",
        "dist/cli.js",
      ]),
    );
    expect(packedFiles).toContain("dist/index.d.ts");
    expect(packedFiles).toContain("dist/redis/ledger.lua");
    const pkg = JSON.parse(readFileSync(join(packed, "package.json"), "utf8"));
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
    expect(pkg.scripts.prepare).toBe("npm run build");
    // Every optional peer has an upper bound (item 9): a new major is not assumed to work.
    for (const [name, range] of Object.entries(pkg.peerDependencies as Record<string, string>)) {
      expect(range, name).toMatch(/<\d+$/);
    }
  });

  it.each([
    ["esm-node16", { type: "module" }, { module: "node16", moduleResolution: "node16" }, "usage.ts"],
    ["esm-nodenext", { type: "module" }, { module: "nodenext", moduleResolution: "nodenext" }, "usage.ts"],
    ["cjs-node16", {}, { module: "node16", moduleResolution: "node16" }, "usage.ts"],
    ["cjs-nodenext", { type: "module" }, { module: "nodenext", moduleResolution: "nodenext" }, "usage.cts"],
    [
      "bundler",
      { type: "module" },
      { module: "esnext", moduleResolution: "bundler", target: "es2022", lib: ["es2023", "dom"] },
      "usage.ts",
    ],
  ])(
    "compiles with only `openai` installed, skipLibCheck false, and null-on-refusal types (%s; items 2, 3)",
    (name, pkg, options, file) => {
      const dir = project(name, pkg, { target: "es2022", lib: ["es2023", "dom"], ...options }, file);
      expect(existsSync(join(dir, "node_modules/@anthropic-ai/sdk"))).toBe(false);
      expect(compile(dir)).toBe("");
    },
    120_000,
  );

  it("the type test can fail: a wrong expectation about null is reported", () => {
    const dir = project(
      "esm-broken",
      { type: "module" },
      { module: "node16", moduleResolution: "node16", target: "es2022", lib: ["es2023", "dom"] },
      "usage.ts",
    );
    const source = readFileSync(join(dir, "usage.ts"), "utf8");
    writeFileSync(join(dir, "usage.ts"), source.replace("if (reply === null) return 0;", ""));
    expect(compile(dir)).toMatch(/error TS18047: 'reply' is possibly 'null'/);
  }, 120_000);

  it("imports and requires at run time", () => {
    const dir = project("runtime", { type: "module" }, {}, "usage.ts");
    const esm = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import("spendguard").then((m) => console.log(typeof m.BudgetedSession))`,
      ],
      { cwd: dir, encoding: "utf8" },
    );
    expect(esm.stderr).toBe("");
    expect(esm.stdout.trim()).toBe("function");
    const cjs = spawnSync(
      process.execPath,
      ["-e", `console.log(typeof require("spendguard").BudgetedSession)`],
      { cwd: dir, encoding: "utf8" },
    );
    expect(cjs.stderr).toBe("");
    expect(cjs.stdout.trim()).toBe("function");
  });

  it("the lockfile's root entry matches package.json, so npm install leaves the tree clean (item 4)", () => {
    // What npm writes into packages[""] of package-lock.json from package.json: when they differ (the `bin`
    // entry was missing), the first `npm install` of a fresh clone rewrites the lockfile. Compared directly,
    // so the test needs neither the network nor npm's cache.
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
    const bin = Object.fromEntries(
      Object.entries(pkg.bin as Record<string, string>).map(([name, path]) => [
        name,
        path.replace(/^\.\//, ""),
      ]),
    );
    expect(lock.packages[""]).toEqual({
      name: pkg.name,
      version: pkg.version,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin,
      devDependencies: pkg.devDependencies,
      engines: pkg.engines,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
    });
  });
});
