#!/usr/bin/env node
// Appends one release row to RELEASES.md from the staging stack's outputs.
// Run by the release workflow after staging pushed, signed and smoke-tested the image:
//   pulumi stack output --json | node scripts/releasesTable.mjs --tag v1.2.3 --commit <sha> --outputs -
// Re-running for a recorded tag with the same digest changes nothing; a different digest is an error
// (tags are immutable, so that would mean the record or the registry is wrong).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const USAGE =
  "usage: node scripts/releasesTable.mjs --tag vX.Y.Z --commit <git sha> --outputs <stack-outputs.json|-> " +
  "[--changelog CHANGELOG.md] [--releases RELEASES.md]";
const SEMVER_TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const RELEASES_HEADER = `# Releases

What each release tag built: the image, its digest (what the clusters run, by digest), the source
commit, and the changelog entry. Rows are appended by the release workflow
(\`scripts/releasesTable.mjs\`, from the staging stack's outputs); do not edit them by hand.
To roll back, set \`facilitator:imageTag\` to an earlier tag below (see docs/delivery.md, "Roll back").

| Tag | Image | Digest | Commit | Changelog |
|---|---|---|---|---|
`;

class UsageError extends Error {}

/** The first bullet of the `## [X.Y.Z]` (or `## [vX.Y.Z]`) section, as one table-safe line. */
function changelogSummary(changelog, tag) {
  const version = tag.slice(1).replaceAll(".", "\\.");
  const lines = changelog.split(/\r?\n/);
  const start = lines.findIndex((line) => new RegExp(`^## \\[v?${version}\\](\\s|$)`).test(line));
  if (start < 0) {
    throw new UsageError(
      `CHANGELOG has no "## [${tag.slice(1)}]" section; add one (Keep a Changelog) before recording ${tag}.`,
    );
  }
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("## ")) break;
    const bullet = /^\s*[-*]\s+(.+)$/.exec(line);
    if (bullet) return bullet[1].trim().replaceAll("|", "\\|");
  }
  throw new UsageError(`CHANGELOG section "## [${tag.slice(1)}]" has no bullet to record; add one.`);
}

/** Validated image facts from `pulumi stack output --json`. */
function imageFromOutputs(outputs, tag) {
  const { imageRepository, imageTag, imageDigest, imageRef } = outputs ?? {};
  if (typeof imageRepository !== "string" || imageRepository === "") {
    throw new UsageError(
      "stack outputs have no imageRepository; pass the staging stack's `pulumi stack output --json`.",
    );
  }
  if (typeof imageDigest !== "string" || !DIGEST.test(imageDigest)) {
    throw new UsageError(`stack output imageDigest "${String(imageDigest)}" is not a sha256 digest.`);
  }
  if (imageTag !== tag) {
    throw new UsageError(
      `stack output imageTag "${String(imageTag)}" is not the release ${tag}: these outputs belong to another release.`,
    );
  }
  if (imageRef !== undefined && imageRef !== `${imageRepository}@${imageDigest}`) {
    throw new UsageError(`stack output imageRef "${String(imageRef)}" disagrees with imageRepository@imageDigest.`);
  }
  return { repository: imageRepository, digest: imageDigest };
}

/** RELEASES.md with the row for `tag` appended; unchanged when the same row is already there. */
function appendRelease(releases, { tag, repository, digest, commit, summary }) {
  const text = releases ?? RELEASES_HEADER;
  for (const line of text.split(/\r?\n/)) {
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    if (cells[1] !== tag) continue;
    if (cells[3] === `\`${digest}\``) return text;
    throw new UsageError(
      `RELEASES.md already records ${tag} with digest ${cells[3]}, not ${digest}: tags are immutable, investigate before recording.`,
    );
  }
  const row = `| ${tag} | \`${repository}:${tag}\` | \`${digest}\` | \`${commit.slice(0, 12)}\` | ${summary} |`;
  return `${text.endsWith("\n") ? text : `${text}\n`}${row}\n`;
}

function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      tag: { type: "string" },
      commit: { type: "string" },
      outputs: { type: "string" },
      changelog: { type: "string", default: "CHANGELOG.md" },
      releases: { type: "string", default: "RELEASES.md" },
    },
  });
  if (!values.tag || !values.commit || !values.outputs) throw new UsageError(`missing argument.\n${USAGE}`);
  if (!SEMVER_TAG.test(values.tag)) throw new UsageError(`tag "${values.tag}" is not vMAJOR.MINOR.PATCH.`);
  if (!/^[0-9a-f]{7,40}$/.test(values.commit)) throw new UsageError(`commit "${values.commit}" is not a git sha.`);

  const outputsText = readFileSync(values.outputs === "-" ? 0 : values.outputs, "utf8");
  let outputs;
  try {
    outputs = JSON.parse(outputsText);
  } catch {
    throw new UsageError("stack outputs are not JSON; pass `pulumi stack output --json`.");
  }
  const image = imageFromOutputs(outputs, values.tag);
  if (!existsSync(values.changelog)) throw new UsageError(`${values.changelog} not found.`);
  const summary = changelogSummary(readFileSync(values.changelog, "utf8"), values.tag);
  const before = existsSync(values.releases) ? readFileSync(values.releases, "utf8") : undefined;
  const after = appendRelease(before, { tag: values.tag, ...image, commit: values.commit, summary });
  if (after === before) {
    console.log(`${values.releases} already records ${values.tag} (${image.digest}); nothing to do.`);
    return;
  }
  writeFileSync(values.releases, after);
  console.log(`recorded ${values.tag} -> ${image.repository}@${image.digest} in ${values.releases}`);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`releases-table: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}
