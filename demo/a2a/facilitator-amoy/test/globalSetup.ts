// Builds dist/ once per run (esbuild, about a second): process-level tests run the real bundle,
// which also starts ~15x faster than the TypeScript source through tsx.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SERVICE_DIR } from "./support/token.js";

export default async function buildDist(): Promise<void> {
  await promisify(execFile)(process.execPath, ["scripts/build.mjs"], { cwd: SERVICE_DIR });
}
