// index.ts loaded the way `pulumi up` loads it (Pulumi's TypeScript runtime: its tsutils and the
// ts-node it picks, type-checking on, CommonJS require, the exported function called), not
// through vitest's own transform. It caught TS5011 (TypeScript 6 needs tsconfig's rootDir).
// Slow on a cold cache (ts-node type-checks file by file), so it runs once.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FACILITATOR_REPOSITORY } from "../support/stack";

const run = promisify(execFile);

describe("the Pulumi Node.js runtime", () => {
  it("compiles and runs index.ts for the prod stack", { timeout: 300_000 }, async () => {
    const env = { ...process.env };
    delete env["PULUMI_NODEJS_TRANSPILE_ONLY"];
    const { stdout } = await run(process.execPath, [path.join(__dirname, "fixtures/pulumiLoader.js")], {
      env,
      maxBuffer: 10_000_000,
    });
    const result = JSON.parse(stdout) as { loader: string; outputs: Record<string, unknown>; resources: number };
    expect(result.loader).toMatch(/ts-node/);
    expect(result.outputs).toMatchObject({
      imageRepository: FACILITATOR_REPOSITORY,
      imageTag: "v1.2.3",
      namespace: "facilitator-prod",
    });
    expect(String(result.outputs["imageRef"])).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(result.resources).toBeGreaterThan(5);
  });
});
