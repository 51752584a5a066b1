// Bundles the service into self-contained ESM files (every dependency inlined), so the image
// needs only dist/ on a bare Node runtime: no node_modules, nothing written at runtime.
// The one native part, libsecp256k1's prebuilt binding for this platform, is copied next to the
// bundle, where the bundled loader (node-gyp-build, looking in <bundle dir>/prebuilds) finds it.
// Without one (no prebuild for the platform) the service recovers signatures in pure JS.
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { cp, rm } from "node:fs/promises";

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
const prebuild = `${process.platform}-${process.arch}`;
if (existsSync(`node_modules/secp256k1/prebuilds/${prebuild}`)) {
  await cp(`node_modules/secp256k1/prebuilds/${prebuild}`, `${outdir}/prebuilds/${prebuild}`, { recursive: true });
}
