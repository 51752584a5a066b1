// Bundles the service into self-contained ESM files (every dependency inlined), so the image
// needs only dist/ on a bare Node runtime: no node_modules, nothing written at runtime.
import { build } from "esbuild";
import { rm } from "node:fs/promises";

// Usage: node scripts/build.mjs [outdir]   (default dist/)
const outdir = process.argv[2] ?? "dist";

// CommonJS dependencies (fastify, pino) call require(); give the ESM bundle a real one.
const banner = [
  'import { createRequire as __createRequire } from "node:module";',
  'import { fileURLToPath as __fileURLToPath } from "node:url";',
  'import { dirname as __pathDirname } from "node:path";',
  "const require = __createRequire(import.meta.url);",
  "const __filename = __fileURLToPath(import.meta.url);",
  "const __dirname = __pathDirname(__filename);",
].join("\n");

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: "src/main.ts", healthcheck: "src/healthcheck.ts" },
  outdir,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outExtension: { ".js": ".js" },
  banner: { js: banner },
  legalComments: "none",
  logLevel: "warning",
});
