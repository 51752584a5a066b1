// Images are referenced by digest, so what runs is exactly what was built and tested,
// and never by the moving `latest` tag.
import * as docker from "@pulumi/docker";
import * as dockerBuild from "@pulumi/docker-build";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, dockerContainerOf, podSpecOf } from "./workloads";

const DIGEST = /@sha256:[0-9a-f]{64}$/;
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** The tag of an image reference (`repo:tag` or `repo:tag@sha256:…`), if it has one. */
export function tagOf(image: string): string | undefined {
  const withoutDigest = image.split("@")[0] ?? "";
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return colon === -1 ? undefined : lastSegment.slice(colon + 1);
}

/** Problems with an image reference a workload runs; empty when it is pinned by digest. */
export function imageReferenceProblems(image: string | undefined): string[] {
  if (!image) return ["has no image"];
  const problems: string[] = [];
  if (tagOf(image) === "latest") problems.push(`uses the "latest" tag (${image})`);
  if (!DIGEST.test(image)) {
    problems.push(
      `references ${image} by tag, not by digest: use <repository>@sha256:<digest> (the stack output imageRef)`,
    );
  }
  return problems;
}

export const imagesByDigest: ResourceValidationPolicy = {
  name: "images-by-digest",
  description:
    "Containers run (and docker RemoteImages pull) images referenced by digest (repo@sha256:…), never by tag and never `latest`.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const podSpec = podSpecOf(args);
    if (podSpec) {
      for (const { label, container } of containersOf(podSpec)) {
        for (const problem of imageReferenceProblems(container.image)) reportViolation(`${label} ${problem}.`);
      }
      return;
    }
    const dockerContainer = dockerContainerOf(args);
    if (dockerContainer) {
      // Docker also runs a local image by its id (`sha256:…`, e.g. RemoteImage.imageId): content-addressed too.
      if (IMAGE_ID.test(dockerContainer.image)) return;
      for (const problem of imageReferenceProblems(dockerContainer.image))
        reportViolation(`docker container ${problem}.`);
      return;
    }
    // What a docker Container's image id points at is decided by the RemoteImage it pulled.
    if (args.isType(docker.RemoteImage)) {
      const name = (args.props as { name?: string }).name;
      for (const problem of imageReferenceProblems(name)) reportViolation(`docker RemoteImage ${problem}.`);
      return;
    }
    if (args.isType(dockerBuild.Image)) {
      const tags = (args.props as { tags?: string[] }).tags ?? [];
      for (const tag of tags.filter((t) => tagOf(t) === "latest")) {
        reportViolation(`pushes the "latest" tag (${tag}): push only immutable tags (vX.Y.Z and sha-<commit>).`);
      }
    }
  },
};
