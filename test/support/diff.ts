// Structural diff of two stack runs: which resource inputs changed, as `urn → [paths]`.
import type { RecordedResource } from "./mocks";

function paths(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const key of [...keys].sort()) {
      paths(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        prefix === "" ? key : `${prefix}.${key}`,
        out,
      );
    }
    return;
  }
  out.push(prefix);
}

/** Every input path that differs, per resource URN; added or removed resources are reported as "(added)"/"(removed)". */
export function diffRuns(
  before: readonly RecordedResource[],
  after: readonly RecordedResource[],
): Record<string, string[]> {
  const byUrn = (rs: readonly RecordedResource[]) => new Map(rs.map((r) => [r.urn, r]));
  const a = byUrn(before);
  const b = byUrn(after);
  const changes: Record<string, string[]> = {};
  for (const urn of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(urn);
    const y = b.get(urn);
    if (!x) changes[urn] = ["(added)"];
    else if (!y) changes[urn] = ["(removed)"];
    else {
      const changed: string[] = [];
      paths(x.inputs, y.inputs, "", changed);
      if (changed.length > 0) changes[urn] = changed;
    }
  }
  return changes;
}
