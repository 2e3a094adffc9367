// The one validator style for settings files: walk the input, name each bad key, keep its default, go on.

type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as the user wrote it, for a message ("nothing" when absent). */
export const show = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));

/**
 * Collects problems as `file: error at <key path>: <message>` (the one message format, STYLE.md "Bad config
 * degrades, and says where") and returns the accepted value or the default. `root` prefixes every key path, so a
 * section checked on its own still names the path from the top of the file.
 */
export class Checker {
  readonly problems: string[] = [];
  constructor(
    private readonly file: string,
    private readonly root = '',
  ) {}

  /** `path` joined under `parent` (the top level has no name). */
  static at(parent: string, key: string | number): string {
    return typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
  }

  fail(path: string, message: string): void {
    const full = this.root ? (path ? `${this.root}.${path}` : this.root) : path;
    this.problems.push(`${this.file}: error at ${full || '(top level)'}: ${message}`);
  }

  /** An object; each key not in `known` is named (and ignored by the caller, which reads only known keys). */
  object(path: string, v: unknown, known: readonly string[]): Obj | undefined {
    if (!isObject(v)) {
      this.fail(path, `expected an object, got ${show(v)}`);
      return undefined;
    }
    for (const k of Object.keys(v)) {
      if (!known.includes(k)) this.fail(Checker.at(path, k), `unknown key (expected one of ${known.join(', ')})`);
    }
    return v;
  }

  number(path: string, v: unknown, def: number, min: number, max: number, integer = false): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      this.fail(path, `expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${show(v)}`);
      return def;
    }
    if (v < min || v > max) {
      this.fail(path, `${v} is outside ${min} to ${max}`);
      return def;
    }
    return v;
  }

  boolean(path: string, v: unknown, def: boolean): boolean {
    if (typeof v !== 'boolean') {
      this.fail(path, `expected true or false, got ${show(v)}`);
      return def;
    }
    return v;
  }

  string(path: string, v: unknown, def: string, nonEmpty = false): string {
    if (typeof v !== 'string' || (nonEmpty && v.trim() === '')) {
      this.fail(path, `expected ${nonEmpty ? 'a non-empty string' : 'a string'}, got ${show(v)}`);
      return def;
    }
    return v;
  }

  oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[], def: T): T {
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.fail(path, `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(v)}`);
      return def;
    }
    return v as T;
  }

  /**
   * A list of allowed strings. Each bad item is named, and one bad item refuses the whole list: it keeps its default,
   * as the message says. Dropping only the bad item would run on a list nobody wrote (session days without Tuesday
   * once made a Tuesday's connection loss a WARNING instead of CRITICAL).
   */
  list<T extends string>(path: string, v: unknown, allowed: readonly T[], def: readonly T[]): readonly T[] {
    return this.items(
      path,
      v,
      def,
      (x) => (typeof x === 'string' && allowed.includes(x as T) ? (x as T) : undefined),
      `one of ${allowed.map((a) => `"${a}"`).join(', ')}`,
    );
  }

  /**
   * A list whose items `item` accepts (returning the value) or refuses (undefined): every refused item is named
   * (`expected WHAT, got X`), and then the whole list keeps its default, never the list with the bad items left out.
   */
  items<T>(path: string, v: unknown, def: readonly T[], item: (x: unknown) => T | undefined, what: string): readonly T[] {
    if (!Array.isArray(v)) {
      this.fail(path, `expected a list, got ${show(v)}`);
      return def;
    }
    const out: T[] = [];
    let bad = false;
    v.forEach((x: unknown, i) => {
      const ok = item(x);
      if (ok !== undefined) out.push(ok);
      else {
        bad = true;
        this.fail(Checker.at(path, i), `expected ${what}, got ${show(x)}; the whole list keeps its default`);
      }
    });
    return bad ? def : out;
  }
}
