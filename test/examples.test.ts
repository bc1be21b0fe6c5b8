import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs an example the way a user would (`tsx examples/x.ts`), offline: no OPENAI_API_KEY, so the fake server. */
function runExample(
  file: string,
  args: string[] = [],
): { stdout: string; stderr: string; status: number | null } {
  const env = { ...process.env };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  const child = spawnSync(process.execPath, ["--import", "tsx", `examples/${file}`, ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { stdout: child.stdout, stderr: child.stderr, status: child.status };
}

describe("examples, offline against the fake providers", () => {
  it("quickstart.ts answers and reports the spend", () => {
    const result = runExample("quickstart.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("reply: Hello from the fake provider.");
    expect(result.stdout).toMatch(/spent \$0\.0000\d+ of \$0\.05 \(1 call\)/);
  });

  it("wrap-existing-client.ts keeps withResponse() and streams working", () => {
    const result = runExample("wrap-existing-client.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/request id: req_\d+/);
    expect(result.stdout).toContain("streamed: Hello from the fake provider.");
    expect(result.stdout).toMatch(/last call: gpt-4o-mini, \$0\.\d+ from usage/);
  });

  it("concurrent-agents.ts never overspends the shared budget", () => {
    const result = runExample("concurrent-agents.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("PASS: spent stayed within the budget");
    expect(result.stdout).toMatch(/refused: [1-9]/);
    expect(result.stdout).toContain("reserved $0.000000");
  });

  it("demo.ts (npm run demo) shows costs, a warning, the refusal and a summary", () => {
    const result = runExample("demo.ts");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/charged \$0\.\d{5}/);
    expect(result.stdout).toMatch(/warning: 30% of the budget used/);
    expect(result.stdout).toMatch(/✗ Budget exceeded for session `demo-agent`/);
    expect(result.stdout).toContain("Committed spend stayed within the budget.");
  });

  it("demo.ts --live refuses to start without an API key", () => {
    const result = runExample("demo.ts", ["--live"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--live needs OPENAI_API_KEY");
  });
});
