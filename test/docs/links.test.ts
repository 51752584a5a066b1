// Documentation that resolves: every relative link and anchor in the repository's Markdown points at
// a file it holds and a heading that page has (GitHub's anchor rules), and no file refers to a
// document the repository does not hold or to a path on one machine.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { githubSlug, headingAnchors, isExternal, linksOf } from "../../scripts/docs/markdown";
import { REPO_ROOT } from "../../scripts/docs/reference";

function gitFiles(...args: string[]): string[] {
  return execFileSync("git", ["ls-files", "-z", ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  })
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(REPO_ROOT, f)));
}

/** Tracked files, and new ones not yet committed (not ignored). */
const repoFiles = [...new Set([...gitFiles(), ...gitFiles("--others", "--exclude-standard")])].sort();
const held = new Set(repoFiles);
const heldDirs = new Set(
  repoFiles.flatMap((f) =>
    f
      .split("/")
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join("/")),
  ),
);
const markdownPages = repoFiles.filter((f) => f.endsWith(".md"));
const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");

/** Problems with one page's relative links and anchors. */
function linkProblems(page: string, text = read(page)): string[] {
  const problems: string[] = [];
  for (const { line, target } of linksOf(text)) {
    if (isExternal(target)) continue;
    const [pathPart = "", anchor] = target.split("#", 2);
    const path = decodeURIComponent(pathPart.split("?")[0]!);
    const resolved = path === "" ? page : normalize(join(dirname(page), path)).replace(/\/$/, "");
    const anchors = () => (resolved === page ? headingAnchors(text) : headingAnchors(read(resolved)));
    const where = `${page}:${line} → ${target}`;
    if (resolved.startsWith("..") || path.startsWith("/")) {
      problems.push(`${where}: leaves the repository (use a path relative to the page)`);
      continue;
    }
    if (path !== "" && !held.has(resolved) && !heldDirs.has(resolved)) {
      problems.push(`${where}: ${resolved} is not in the repository`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith(".md") && !anchors().has(anchor)) {
      problems.push(`${where}: ${resolved} has no heading with the anchor #${anchor}`);
    }
  }
  return problems;
}

describe("GitHub anchors", () => {
  it("follow github-slugger", () => {
    expect(githubSlug("Facilitator quickstart (no cloud account)")).toBe("facilitator-quickstart-no-cloud-account");
    expect(githubSlug("Readiness: GET /readyz")).toBe("readiness-get-readyz");
    expect(githubSlug("monitoring (Google Cloud Managed Prometheus + Cloud Monitoring)")).toBe(
      "monitoring-google-cloud-managed-prometheus--cloud-monitoring",
    );
    expect(githubSlug("the facilitator's settings")).toBe("the-facilitators-settings");
    expect(githubSlug("Release → production")).toBe("release--production");
    expect(githubSlug("MIN_PAYMENT_AMOUNT")).toBe("min_payment_amount");
  });

  it("number repeated headings, skip code blocks, and read headings as rendered", () => {
    const page = [
      "# Roll back",
      "```",
      "# not a heading",
      "```",
      "## Roll back",
      "### `GET /status` and [links](x.md)",
      "#### A &amp; B",
    ].join("\n");
    expect([...headingAnchors(page)]).toEqual(["roll-back", "roll-back-1", "get-status-and-links", "a--b"]);
  });

  it("find the links a page makes, outside code", () => {
    const page = [
      'See [a](docs/a.md#x) and ![b](img.png "t").',
      "`[not](a link)`",
      "```",
      "[no](link)",
      "```",
      "[ref]: docs/c.md",
    ].join("\n");
    expect(linksOf(page).map((l) => l.target)).toEqual(["docs/a.md#x", "img.png", "docs/c.md"]);
  });
});

describe("links in the repository's Markdown", () => {
  it("covers the README, docs/ and the service's README", () => {
    expect(markdownPages).toEqual(
      expect.arrayContaining(["README.md", "docs/architecture.md", "demo/a2a/facilitator-amoy/README.md"]),
    );
  });

  it.each(markdownPages)("%s: every relative link and anchor resolves", (page) => {
    expect(linkProblems(page)).toEqual([]);
  });

  it("the checker reports a missing file, a missing anchor and a path out of the repository", () => {
    const page = [
      "# Here",
      "[ok](architecture.md) [ok](../README.md) [ok](#here) [ok](../components/)",
      "[1](no-such-page.md) [2](architecture.md#no-such-heading) [3](#nowhere) [4](../../x.md)",
    ].join("\n");
    const problems = linkProblems("docs/probe.md", page);
    expect(problems, problems.join("\n")).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/no-such-page\.md is not in the repository/);
    expect(problems.join("\n")).toMatch(/no heading with the anchor #no-such-heading/);
    expect(problems.join("\n")).toMatch(/no heading with the anchor #nowhere/);
    expect(problems.join("\n")).toMatch(/leaves the repository/);
  });
});

// Paths of one machine: a user's home directory. /home/nonroot is the image's user home (distroless).
const MACHINE_PATHS = /(?<![\w.~$-])\/(?:Users\/[\w.-]+|home\/(?!nonroot\b)[\w.-]+)|[A-Z]:\\Users\\/;
/**
 * A Markdown file named the way documents are named: by a path (docs/x.md, ../README.md) or by a
 * conventional capitalised name (README.md). Bare lowercase names are a program's own files (a
 * summary.md in a temporary directory); links between pages are checked above.
 */
const MD_MENTION = /(?<![\w/.@$}-])((?:\.{1,2}\/)?\w[\w./-]*\/[\w.-]+\.md|[A-Z][A-Z0-9_-]*\.md)\b/g;
const THIS_FILE = "test/docs/links.test.ts"; // its fixtures name pages that do not exist, on purpose

/** Text files among the repository's files (binary ones hold a NUL byte). */
const textFiles = repoFiles
  .filter((f) => statSync(join(REPO_ROOT, f)).size < 4 * 1024 * 1024)
  .map((file) => ({ file, text: read(file) }))
  .filter(({ text }) => !text.includes("\0"));

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

describe("references in every file of the repository", () => {
  // A comment or a doc that relies on a document must name a document the repository holds.
  it("name only Markdown files that exist (relative to the repository or to the file)", () => {
    const problems: string[] = [];
    for (const { file, text } of textFiles.filter(
      ({ file }) => file !== THIS_FILE && !/(^|\/)package-lock\.json$/.test(file),
    )) {
      const withoutUrls = text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s)"'`>]+/gi, (url) => " ".repeat(url.length));
      for (const m of withoutUrls.matchAll(MD_MENTION)) {
        const mention = m[1]!;
        const candidates = [normalize(mention), normalize(join(dirname(file), mention))].map((p) => relative(".", p));
        if (!candidates.some((p) => held.has(p)))
          problems.push(`${file}:${lineOf(text, m.index)}: ${mention} is not in the repository`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("hold no path of one machine", () => {
    const problems = textFiles.flatMap(({ file, text }) => {
      const m = MACHINE_PATHS.exec(text);
      return m
        ? [
            `${file}:${lineOf(text, m.index)}: "${m[0]}" is a path on one machine; refer to a file of the repository instead`,
          ]
        : [];
    });
    expect(problems).toEqual([]);
  });

  it("the patterns catch what they are for", () => {
    const mentions = (text: string) => [...text.matchAll(MD_MENTION)].map((m) => m[1]);
    expect(mentions("see HANDBOOK.md and docs/guide.md, not summary.md")).toEqual(["HANDBOOK.md", "docs/guide.md"]);
    // Assembled at run time, so this file holds no such path itself.
    const path = (...parts: string[]) => parts.join("/");
    expect(MACHINE_PATHS.test(path("", "home", "alice", "repo"))).toBe(true);
    expect(MACHINE_PATHS.test(path("", "Users", "bob", "repo"))).toBe(true);
    expect(MACHINE_PATHS.test(["C:", "Users", "carol", "repo"].join("\\"))).toBe(true);
    expect(MACHINE_PATHS.test("WORKDIR /home/nonroot")).toBe(false);
    expect(MACHINE_PATHS.test("$HOME/.pulumi and ~/projects/ and a/home/b")).toBe(false);
  });
});
