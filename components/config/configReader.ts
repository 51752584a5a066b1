// Typed, validating reads of raw stack config values (the strings Pulumi hands the program).
// Every problem is collected, not thrown one at a time, so a run with three bad keys reports
// all three. Each message names the key, what was expected and the exact command that fixes it.
// Secret values never appear in messages.

/** Raw config of one stack: full key (`facilitator:imageTag`) → the string Pulumi passes in. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

type ValueKind = "plain" | "secret" | "list";

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Stack configuration is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

interface KeySpec {
  /** What a valid value looks like, in words ("a positive integer"). */
  expected: string;
  /** A value to show in the fix command. */
  example: string;
  /** Multi-line values are read from a file on stdin instead (`… < file`). */
  fromFile?: string;
}

export class ConfigReader {
  private readonly problems: string[] = [];
  private readonly keysRead = new Set<string>();

  constructor(
    private readonly namespace: string,
    private readonly stack: string,
    private readonly raw: RawConfig,
    /** Full keys whose values Pulumi holds as secrets. */
    private readonly secretKeys: ReadonlySet<string>,
  ) {}

  /** Every key read so far (short names), so tests can compare with Pulumi.yaml's schema. */
  get readKeys(): string[] {
    return [...this.keysRead].sort();
  }

  /** A required string that matches `pattern`. */
  string(key: string, spec: KeySpec & { pattern?: RegExp }): string {
    const value = this.present(key, spec, "plain");
    if (value === undefined) return "";
    if (spec.pattern && !spec.pattern.test(value)) {
      this.fail(key, spec, `got ${JSON.stringify(value)}`, "plain");
    }
    return value;
  }

  /** An optional string: unset and "" both mean "not configured". */
  optionalString(key: string, spec: KeySpec & { pattern?: RegExp }): string | undefined {
    const value = this.read(key);
    if (value === undefined || value === "") return undefined;
    if (spec.pattern && !spec.pattern.test(value)) {
      this.fail(key, spec, `got ${JSON.stringify(value)}`, "plain");
    }
    return value;
  }

  boolean(key: string, spec: Omit<KeySpec, "expected">): boolean {
    const full = { ...spec, expected: "true or false" };
    const value = this.present(key, full, "plain");
    if (value === undefined) return false;
    if (value !== "true" && value !== "false") this.fail(key, full, `got ${JSON.stringify(value)}`, "plain");
    return value === "true";
  }

  integer(key: string, spec: Omit<KeySpec, "expected"> & { min: number; max: number }): number {
    const full = { ...spec, expected: `an integer from ${spec.min} to ${spec.max}` };
    const value = this.present(key, full, "plain");
    if (value === undefined) return spec.min;
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < spec.min || n > spec.max) {
      this.fail(key, full, `got ${JSON.stringify(value)}`, "plain");
      return spec.min;
    }
    return n;
  }

  /** A list of strings (Pulumi passes arrays as JSON), each matching `pattern`. */
  list(key: string, spec: KeySpec & { pattern?: RegExp }): string[] {
    const value = this.present(key, spec, "list");
    if (value === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === "string")) {
      this.fail(key, spec, `got ${JSON.stringify(value)}`, "list");
      return [];
    }
    const bad = spec.pattern ? parsed.filter((item) => !spec.pattern!.test(item)) : [];
    if (bad.length > 0) this.fail(key, spec, `got ${bad.map((b) => JSON.stringify(b)).join(", ")}`, "list");
    return parsed;
  }

  /** A required secret: must be stored encrypted, and must pass `valid`. The value is never echoed. */
  secret(key: string, spec: KeySpec & { valid: (value: string) => boolean }): string {
    const value = this.present(key, spec, "secret");
    if (value === undefined) return "";
    this.checkSecret(key, spec, value);
    return value;
  }

  /** An optional secret ("" means unset). */
  optionalSecret(key: string, spec: KeySpec & { valid: (value: string) => boolean }): string | undefined {
    const value = this.read(key);
    if (value === undefined || value === "") return undefined;
    this.checkSecret(key, spec, value);
    return value;
  }

  /**
   * Records a problem that spans keys (e.g. "ghcr.owner needs ghcr.token"). `fix` replaces the
   * default `pulumi config set …` command where setting this key is not the fix (e.g. `config rm`).
   */
  problem(key: string, spec: KeySpec & { secret?: boolean }, detail: string, fix?: string): void {
    this.fail(key, spec, detail, spec.secret ? "secret" : "plain", fix);
  }

  /** The `pulumi config rm` command for a key of this stack. */
  removeCommand(key: string): string {
    return `pulumi config rm --stack ${this.stack} ${this.fullKey(key)}`;
  }

  /** Throws one ConfigError listing every problem found, if any. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }

  private checkSecret(key: string, spec: KeySpec & { valid: (value: string) => boolean }, value: string): void {
    if (!this.secretKeys.has(this.fullKey(key))) {
      this.fail(
        key,
        spec,
        "it is stored in plain text in the stack file; remove it and set it again as a secret",
        "secret",
      );
    } else if (!spec.valid(value)) {
      this.fail(key, spec, "the value does not match (value not shown)", "secret");
    }
  }

  private read(key: string): string | undefined {
    this.keysRead.add(key);
    return this.raw[this.fullKey(key)];
  }

  private present(key: string, spec: KeySpec, kind: ValueKind): string | undefined {
    const value = this.read(key);
    if (value === undefined || value === "") {
      this.fail(key, spec, "it is not set", kind);
      return undefined;
    }
    return value;
  }

  private fail(key: string, spec: KeySpec, detail: string, kind: ValueKind, fix?: string): void {
    const set = `pulumi config set --stack ${this.stack}`;
    const full = this.fullKey(key);
    let command: string;
    if (fix !== undefined) {
      command = fix;
    } else if (kind === "list") {
      // Lists are set item by item with --path; `'[...]'` would be stored as one string.
      command = `${set} --path '${full}[0]' ${shellQuote(spec.example)}`;
    } else if (kind === "secret") {
      // No value on the command line: it would land in the shell history. The CLI prompts for it.
      command =
        spec.fromFile !== undefined
          ? `${set} --secret ${full} < ${spec.fromFile}`
          : `${set} --secret ${full}  (prompts for ${spec.example})`;
    } else {
      command = `${set} ${full} ${shellQuote(spec.example)}`;
    }
    this.problems.push(`${full}: expected ${spec.expected}; ${detail}. Fix: ${command}`);
  }

  private fullKey(key: string): string {
    return `${this.namespace}:${key}`;
  }
}
