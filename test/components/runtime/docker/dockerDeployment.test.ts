// The docker target's pure helpers: env-file quoting, Kubernetes quantities in Docker's units.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cpus, envFileContent, megabytes } from "../../../../components/runtime/docker/dockerDeployment";
import { ANVIL_DEV_KEY_0 } from "../../../support/fakes";

describe("envFileContent", () => {
  it('writes sorted NAME="value" lines, so the same config gives the same upload', () => {
    expect(envFileContent({ B: "2", A: "https://rpc.example/v2/key#frag" })).toBe(
      'A="https://rpc.example/v2/key#frag"\nB="2"\n',
    );
  });

  it("picks a quote the value does not contain, and refuses values that cannot be quoted", () => {
    expect(envFileContent({ A: 'say "hi"' })).toBe(`A='say "hi"'\n`);
    expect(envFileContent({ A: `"'` })).toBe("A=`\"'`\n");
    expect(() => envFileContent({ KEY: "a\nb" })).toThrow(/KEY cannot be written to an env file/);
    expect(() => envFileContent({ KEY: "\"'`" })).toThrow(/KEY cannot be written to an env file/);
  });

  it("node --env-file reads it back unchanged", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "envfile-"));
    try {
      const values = { AMOY_RPC_URL: "https://rpc.example/v2/abc?token=x#y", FACILITATOR_PRIVATE_KEY: ANVIL_DEV_KEY_0 };
      writeFileSync(path.join(dir, "s.env"), envFileContent(values));
      const out = execFileSync(
        process.execPath,
        [
          `--env-file=${path.join(dir, "s.env")}`,
          "-p",
          "JSON.stringify([process.env.AMOY_RPC_URL, process.env.FACILITATOR_PRIVATE_KEY])",
        ],
        { encoding: "utf8", env: {} },
      );
      expect(JSON.parse(out)).toEqual([values.AMOY_RPC_URL, values.FACILITATOR_PRIVATE_KEY]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Kubernetes quantities in Docker's units", () => {
  it.each([
    ["512Mi", 512],
    ["1Gi", 1024],
    ["262144Ki", 256],
    ["1Mi", 6],
  ])("memory %s is %i MB", (quantity, mb) => expect(megabytes(quantity)).toBe(mb));

  it.each([
    ["250m", "0.25"],
    ["1", "1"],
    ["1.5", "1.5"],
  ])("cpu %s is %s cpus", (quantity, value) => expect(cpus(quantity)).toBe(value));

  it("refuses what it cannot convert", () =>
    expect(() => megabytes("512MB")).toThrow(/Not a memory quantity like 512Mi: "512MB"/));
});
