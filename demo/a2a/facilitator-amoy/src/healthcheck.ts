// Docker HEALTHCHECK for a shell-less image: exit 0 when GET /healthz answers 200 within 2 s.
import { PATHS, SERVICE_PORT } from "./contract.js";

const port = process.env.PORT?.trim() || String(SERVICE_PORT);

try {
  const response = await fetch(`http://127.0.0.1:${port}${PATHS.live}`, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
