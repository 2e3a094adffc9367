// Flag parsing shared by the CLI and the simulator's own CLI (src/sim may import the model only): one wording for both.

/** The part of node:util's ParseArgsConfig options read here (the model imports nothing from Node). */
type FlagOptions = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>> | undefined;

/**
 * The flag given without its value (`--speed` last, or followed by another flag), from parseArgs' error
 * (ERR_PARSE_ARGS_INVALID_OPTION_VALUE, "Option '-s, --speed <value>' argument missing"); undefined for anything else.
 */
export function missingValueFlag(err: unknown): string | undefined {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return undefined;
  return /--([^ ']+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(err.message)?.[1];
}

/** parseArgs' messages name the flag; keep the first sentence only (no stack, no hints about allowPositionals). */
export function flagProblem(err: unknown): string {
  const missing = missingValueFlag(err);
  if (missing !== undefined) return `--${missing} needs a value`;
  const msg = err instanceof Error ? err.message : String(err);
  // Our wording, and the flag exactly as typed (parseArgs quotes it and goes on about positionals after `--`).
  const unknown = /^Unknown option '([^']*)'/.exec(msg);
  if (unknown) return `unknown option ${unknown[1]}`;
  return msg.split('. ')[0]!.replace(/\.$/, '');
}

/**
 * `--speed -1` as `--speed=-1`. parseArgs refuses a value that starts with a dash as ambiguous and tells the user to
 * retype it; no flag's name starts with a digit, so a dash and a digit can only be a negative number meant as the
 * value, and the command's own check then says what the flag expects.
 */
export function joinNegativeValues(args: readonly string[], options: FlagOptions): string[] {
  const out: string[] = [];
  const takesValue = (a: string): string | undefined => {
    const long = /^--([^=]+)$/.exec(a)?.[1];
    if (long !== undefined) return options?.[long]?.type === 'string' ? long : undefined;
    const short = /^-([^-])$/.exec(a)?.[1];
    const name = short === undefined ? undefined : Object.keys(options ?? {}).find((k) => options?.[k]?.short === short);
    return name !== undefined && options?.[name]?.type === 'string' ? name : undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const name = takesValue(a);
    const next = args[i + 1];
    if (name !== undefined && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
