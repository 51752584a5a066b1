// Docker HEALTHCHECK for a shell-less image: exit 0 when GET /healthz answers 200 within 2 s.
const port = process.env.PORT?.trim() || "5401";

try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
