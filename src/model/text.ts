// Text from outside (TWS, recordings) made inert for a terminal: control characters become visible escapes.

/*
 * What a terminal may act on: C0 controls (ESC starts every CSI/OSC sequence, BEL ends an OSC, CR/BS rewrite a line),
 * DEL, the C1 range (U+009B is a one-character CSI and U+009D an OSC on terminals that honour 8-bit controls), and
 * the Unicode bidi overrides and isolates, which reorder what follows them on screen.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const CONTROL_ALL = new RegExp(CONTROL.source, 'gu');
/** The same, sparing the line feed and tab that our own multi-line output (pretty JSON, reports) is made of. */
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/*
 * A whole escape sequence: CSI (ESC [ or its C1 byte) to its final byte; OSC, DCS, SOS, PM and APC to BEL or ST, or
 * to the end of the text (a terminal would swallow the rest as well); any other ESC with its intermediate and final
 * bytes. A sequence cut at the end of the text is taken whole too.
 */
const ESCAPE_SEQUENCE =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?/gu;

/**
 * `s` without the escape sequences in it, each dropped whole: for text pasted into a line (a coloured copy, a title
 * sequence), where dropping the ESC byte alone left its remainder ("[31m") in the text.
 */
export function withoutEscapeSequences(s: string): string {
  return s.includes('\u001b') || /[\u0090-\u009f]/.test(s) ? s.replace(ESCAPE_SEQUENCE, '') : s;
}

/** True when `s` holds a character a terminal could act on. */
export function hasControl(s: string): boolean {
  return CONTROL.test(s);
}

/**
 * `s` with every control character written out visibly: ESC as `\x1b`, a bidi override as `\u202e`. Text without
 * one is returned as is (the same string), so the common case costs one regex test.
 */
export function neutralise(s: string): string {
  if (!CONTROL.test(s)) return s;
  return s.replace(CONTROL_ALL, (ch) => {
    const cp = ch.codePointAt(0)!;
    return cp <= 0xff ? `\\x${hex(cp, 2)}` : `\\u${hex(cp, 4)}`;
  });
}

/** `neutralise` for optional fields. */
export function neutraliseOpt<T extends string | undefined | null>(s: T): T {
  return (typeof s === 'string' ? neutralise(s) : s) as T;
}

/**
 * The last line of defence for a whole output line about to be written to a terminal: control characters become
 * `\u001b` escapes (valid inside a JSON string too, so `--json` output stays parseable); line feeds and tabs stay,
 * because our own output is laid out with them.
 */
export function terminalSafe(line: string): string {
  if (!CONTROL.test(line)) return line;
  return line.replace(CONTROL_BUT_LAYOUT, (ch) => `\\u${hex(ch.codePointAt(0)!, 4)}`);
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` (an event body, a header, a keyframe) with every string in it, keys and Map entries included, neutralised.
 * Unchanged parts keep their identity (no copy when there is nothing to change); Decimals and other class instances
 * are left alone.
 */
export function neutraliseDeep<T>(value: T): T {
  return deep(value) as T;
}

/**
 * For the recording reader, on everything it hands out (header, events, keyframes, footer): a recording is text from
 * outside too (it may come from someone else's machine, or predate the TWS edge's neutralising).
 */
export function neutraliseRecorded<T>(value: T): T {
  return deep(value) as T;
}

function deep(v: unknown): unknown {
  if (typeof v === 'string') return neutralise(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const n = deep(v[i]);
      if (n !== v[i]) (out ??= v.slice())[i] = n;
    }
    return out ?? v;
  }
  if (v instanceof Map) {
    let changed = false;
    const entries = [...v].map(([k, x]) => {
      const nk = deep(k);
      const nx = deep(x);
      if (nk !== k || nx !== x) changed = true;
      return [nk, nx] as const;
    });
    return changed ? new Map(entries) : v;
  }
  if (!isPlainObject(v)) return v;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(v)) {
    const nk = neutralise(k);
    const nx = deep(v[k]);
    if (nk !== k || nx !== v[k]) {
      out ??= { ...v };
      if (nk !== k) delete out[k];
      out[nk] = nx;
    }
  }
  return out ?? v;
}

/**
 * Whether the last `n` characters of `out` are printable ASCII (spaces included) outside any escape sequence: a
 * frame's text, not the tail of a colour code before it. The ASCII screen draws a cut's "…" as "..." over them.
 */
export function endsInText(out: string, n: number): boolean {
  if (out.length < n || !/^[ -~]+$/.test(out.slice(-n))) return false;
  const esc = out.lastIndexOf('\u001b');
  if (esc < 0) return true;
  const seq = /^\u001b(\[[0-9;?]*[ -/]*[@-~]|\][^\u0007]*\u0007|[()][0-9A-Za-z])/.exec(out.slice(esc));
  return seq !== null && esc + seq[0].length <= out.length - n;
}
