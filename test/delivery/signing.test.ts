// The one signing rule (.github/actions/image-signature): its script run for real with cosign and
// gcloud replaced by fakes on PATH. The fake cosign keeps a registry of digests and the identities
// that signed them, signs with the identity Fulcio gives a GitHub Actions job
// (https://github.com/<job_workflow_ref>, issuer https://token.actions.githubusercontent.com:
// https://github.com/sigstore/fulcio/blob/main/docs/oidc.md#github), refuses a second signature of a
// digest (the registry's immutable tags hold cosign's sha256-<digest>.sig: sigstore/cosign#2775),
// and checks --certificate-identity-regexp as cosign does (an unanchored regexp match; the rule
// anchors itself) and --certificate-oidc-issuer exactly.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fakeDigest } from "../support/fakes";

const ROOT = resolve(__dirname, "../..");
const ACTION = join(ROOT, ".github/actions/image-signature/action.yml");
const ISSUER = "https://token.actions.githubusercontent.com";
const REPOSITORY = "x402-payments/facilitator-deploy";
const IMAGE = "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy";

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
const action = parse(readFileSync(ACTION, "utf8")) as { runs: { using: string; steps: (Step & { shell?: string })[] } };
const script = action.runs.steps.find((s) => s.id === "signature")!.run!;

const FAKE_COSIGN = String.raw`#!/usr/bin/env bash
set -euo pipefail
reg="$FAKE_REGISTRY"
cmd="$1"; shift
image=""; issuer=""; re=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --certificate-oidc-issuer) issuer="$2"; shift 2 ;;
    --certificate-identity-regexp) re="$2"; shift 2 ;;
    --yes) shift ;;
    -*) echo "fake cosign: unexpected flag $1" >&2; exit 2 ;;
    *) image="$1"; shift ;;
  esac
done
if [[ "$image" == *@sha256:* ]]; then digest="${"$"}{image##*@}"; else digest="$(awk -v ref="$image" '$1 == ref { print $2 }' "$reg/tags")"; fi
[[ -n "$digest" ]] || { echo "fake cosign: $image not found" >&2; exit 1; }
echo "$cmd $image $issuer $re" >> "$reg/calls"
case "$cmd" in
  verify)
    while read -r d id iss; do
      if [[ "$d" == "$digest" && "$iss" == "$issuer" && "$id" =~ $re ]]; then
        printf '[{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}]\n' "${"$"}{image%%[@:]*}" "$digest"
        echo "Verification for $image -- the cosign claims were validated" >&2
        exit 0
      fi
    done < "$reg/sigs"
    echo "Error: no matching signatures" >&2
    exit 1 ;;
  sign)
    if awk -v d="$digest" '$1 == d { found = 1 } END { exit !found }' "$reg/sigs"; then
      echo "fake cosign: tag sha256-${"$"}{digest#sha256:}.sig already exists (immutable tags)" >&2
      exit 1
    fi
    echo "$digest https://github.com/$GITHUB_WORKFLOW_REF $ISSUER_OF_THIS_RUNNER" >> "$reg/sigs" ;;
  *) echo "fake cosign: unexpected command $cmd" >&2; exit 2 ;;
esac
`;

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake registry: tags → digests, and the signatures already there (digest, identity, issuer). */
function registry(tags: Record<string, string>, signatures: [string, string, string?][] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "signing-"));
  temps.push(dir);
  writeFileSync(
    join(dir, "tags"),
    Object.entries(tags)
      .map(([tag, digest]) => `${IMAGE}:${tag} ${digest}\n`)
      .join(""),
  );
  writeFileSync(
    join(dir, "sigs"),
    signatures.map(([digest, identity, issuer]) => `${digest} ${identity} ${issuer ?? ISSUER}\n`).join(""),
  );
  writeFileSync(join(dir, "calls"), "");
  writeFileSync(join(dir, "cosign"), FAKE_COSIGN);
  writeFileSync(join(dir, "gcloud"), "#!/usr/bin/env bash\nexit 0\n");
  for (const tool of ["cosign", "gcloud"]) chmodSync(join(dir, tool), 0o755);
  return dir;
}

/** Runs the action's step as a runner would (bash -eo pipefail) for a job at `ref` of `workflow`. */
function signature(
  reg: string,
  mode: "verify" | "sign-once",
  image: string,
  ref = "refs/heads/main",
  workflow = "release.yml",
  repository = REPOSITORY,
) {
  const output = join(reg, `output-${Math.random().toString(16).slice(2)}`);
  writeFileSync(output, "");
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    encoding: "utf8",
    env: {
      PATH: `${reg}:${process.env.PATH ?? ""}`,
      FAKE_REGISTRY: reg,
      ISSUER_OF_THIS_RUNNER: ISSUER,
      IMAGE: image,
      MODE: mode,
      GITHUB_REPOSITORY: repository,
      GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/${workflow}@${ref}`,
      RUNNER_TEMP: reg,
      GITHUB_OUTPUT: output,
    },
  });
  const digest = /^digest=(.*)$/m.exec(readFileSync(output, "utf8"))?.[1];
  return { status: result.status, log: `${result.stdout}${result.stderr}`, digest };
}

const identity = (ref: string, workflow = "release.yml", repository = REPOSITORY) =>
  `https://github.com/${repository}/.github/workflows/${workflow}@${ref}`;
const D = fakeDigest("v1.3.0");
const OLD = fakeDigest("v1.2.2");

describe("one signing rule for staging and production", () => {
  it("a digest first signed by the staging job (release.yml at main) passes the production job's verification", () => {
    // Before: staging accepted any ref (…release.yml@refs/), production only tags (…@refs/tags/v),
    // so the first digest signed from main passed staging and failed production.
    const reg = registry({ "v1.3.0": D });
    const staged = signature(reg, "sign-once", `${IMAGE}@${D}`);
    expect(staged.log).toContain(`signed ${IMAGE}@${D}`);
    expect(staged).toMatchObject({ status: 0, digest: D });
    expect(readFileSync(join(reg, "sigs"), "utf8")).toBe(`${D} ${identity("refs/heads/main")} ${ISSUER}\n`);

    const prod = signature(reg, "verify", `${IMAGE}:v1.3.0`);
    expect(prod).toMatchObject({ status: 0, digest: D });
    // Both jobs asked cosign the same question.
    const calls = readFileSync(join(reg, "calls"), "utf8")
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("verify "));
    expect(new Set(calls.map((l) => l.split(" ").slice(2).join(" "))).size).toBe(1);
  });

  it("a release signed before deploys ran from main (release.yml at its tag) still verifies: rolling back to it works", () => {
    const reg = registry({ "v1.2.2": OLD }, [[OLD, identity("refs/tags/v1.2.2")]]);
    expect(signature(reg, "verify", `${IMAGE}:v1.2.2`)).toMatchObject({ status: 0, digest: OLD });
    const staged = signature(reg, "sign-once", `${IMAGE}@${OLD}`);
    expect(staged).toMatchObject({ status: 0, digest: OLD });
    expect(staged.log).toContain("keeping that signature");
    expect(readFileSync(join(reg, "sigs"), "utf8").trim().split("\n")).toHaveLength(1); // not signed again
  });

  it.each([
    ["a feature branch", identity("refs/heads/feature/x"), ISSUER],
    ["a branch merely starting with main", identity("refs/heads/main-old"), ISSUER],
    ["a pull request", identity("refs/pull/7/merge"), ISSUER],
    ["a tag that is not a release", identity("refs/tags/v1.2.2-rc.1"), ISSUER],
    ["another workflow of the repository", identity("refs/heads/main", "preview.yml"), ISSUER],
    ["a look-alike repository", identity("refs/heads/main", "release.yml", `${REPOSITORY}-fork`), ISSUER],
    ["another issuer", identity("refs/heads/main"), "https://accounts.google.com"],
  ])("rejects a signature from %s, in both jobs", (_what, signer, issuer) => {
    const reg = registry({ "v1.3.0": D }, [[D, signer, issuer]]);
    const prod = signature(reg, "verify", `${IMAGE}:v1.3.0`);
    expect(prod.status).toBe(1);
    expect(prod.log).toContain(
      `::error title=Not signed under the signing rule::${IMAGE}:v1.3.0 has no signature from ${REPOSITORY}'s release workflow run at main or at a release tag`,
    );
    // staging cannot add a good signature next to it: the digest's .sig tag is immutable
    const staged = signature(reg, "sign-once", `${IMAGE}@${D}`);
    expect(staged.status).toBe(1);
    expect(staged.log).toContain("::error title=Cannot sign::");
  });

  it("the repository name is matched literally (a dot in it matches only a dot)", () => {
    const reg = registry({ "v1.3.0": D }, [[D, identity("refs/heads/main", "release.yml", "acme/facilitatorXdeploy")]]);
    expect(
      signature(reg, "verify", `${IMAGE}:v1.3.0`, "refs/heads/main", "release.yml", "acme/facilitator.deploy").status,
    ).toBe(1);
    const good = registry({ "v1.3.0": D }, [
      [D, identity("refs/heads/main", "release.yml", "acme/facilitator.deploy")],
    ]);
    expect(
      signature(good, "verify", `${IMAGE}:v1.3.0`, "refs/heads/main", "release.yml", "acme/facilitator.deploy").status,
    ).toBe(0);
  });

  it("a signing job outside the rule (dispatched at a branch) signs, finds its own signature rejected, and fails", () => {
    const reg = registry({ "v1.3.0": D });
    const staged = signature(reg, "sign-once", `${IMAGE}@${D}`, "refs/heads/feature/x");
    expect(staged.status).toBe(1);
    expect(staged.log).toContain("::error title=Signed outside the signing rule::");
    expect(staged.log).toContain("gh workflow run release.yml --ref main");
  });

  it("sign-once needs a digest reference; an unknown mode is refused", () => {
    const reg = registry({ "v1.3.0": D });
    expect(signature(reg, "sign-once", `${IMAGE}:v1.3.0`).log).toContain("sign-once needs the image by digest");
    expect(signature(reg, "bogus" as "verify", `${IMAGE}@${D}`).log).toContain("mode must be verify or sign-once");
  });

  it("the rule cosign receives, read as a regular expression, accepts main and release tags only", () => {
    const reg = registry({ "v1.3.0": D }, [[D, identity("refs/heads/main")]]);
    signature(reg, "verify", `${IMAGE}:v1.3.0`);
    const [, , issuer, re] = readFileSync(join(reg, "calls"), "utf8").trim().split(" ");
    expect(issuer).toBe(ISSUER);
    const rule = new RegExp(re!);
    expect(["refs/heads/main", "refs/tags/v1.2.3", "refs/tags/v10.0.12"].map((r) => rule.test(identity(r)))).toEqual([
      true,
      true,
      true,
    ]);
    expect(
      ["refs/heads/mainx", "refs/tags/v1.2", "refs/tags/1.2.3", "refs/heads/v1.2.3"].map((r) => rule.test(identity(r))),
    ).toEqual([false, false, false, false]);
  });
});

describe("defined once", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
    );
  const github = files(join(ROOT, ".github")).filter((f) => /\.ya?ml$/.test(f));

  it("the identity rule and the issuer appear only in the image-signature action, and no workflow runs cosign itself", () => {
    const mentions = (needle: RegExp) =>
      github.filter((f) => needle.test(readFileSync(f, "utf8"))).map((f) => f.slice(ROOT.length + 1));
    expect(mentions(/--certificate-identity-regexp/)).toEqual([".github/actions/image-signature/action.yml"]);
    expect(mentions(/token\.actions\.githubusercontent\.com/)).toEqual([".github/actions/image-signature/action.yml"]);
    expect(mentions(/\bcosign (sign|verify)\b/)).toEqual([".github/actions/image-signature/action.yml"]);
  });

  it("the staging job signs once and the production job verifies, both through it", () => {
    const release = parse(readFileSync(join(ROOT, ".github/workflows/release.yml"), "utf8")) as {
      jobs: Record<string, { steps: Step[] }>;
    };
    const uses = (job: string) =>
      release.jobs[job]!.steps.filter((s) => s.uses === "./.github/actions/image-signature").map((s) => s.with?.mode);
    expect(uses("staging")).toEqual(["sign-once"]);
    expect(uses("production")).toEqual(["verify"]);
    expect(existsSync(ACTION)).toBe(true);
    expect(action.runs.using).toBe("composite");
  });
});
