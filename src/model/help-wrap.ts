// Help text wrapped to a width, descriptions going on under their own column: every command's --help, sim's too.

/**
 * Where a help line's continuation lines start: after `Usage: tws-risk NAME `, at the column a two-space gap opens
 * (an option's or a command's description), after a paragraph's label (`Exit codes: `), else two past the line's own
 * indent (a format's text).
 */
function hangingIndent(line: string, width: number): number {
  const usage = /^Usage: tws-risk (?:\S+ )?/.exec(line);
  const column = /^( +\S+(?: \S+)*? {2,})\S/.exec(line);
  const label = /^[A-Za-z][\w ]*: /.exec(line);
  const lead = /^ */.exec(line)![0].length;
  const hang = usage ? usage[0].length : column ? column[1]!.length : label ? label[0].length : lead + (lead > 0 ? 2 : 0);
  // A column past the middle would leave too little room: the text then goes on under the line's own indent.
  return hang <= width / 2 ? hang : Math.min(lead, Math.floor(width / 2));
}

/** One help line cut at spaces to `width` columns, its continuation lines under its description. */
function wrapHelpLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = hangingIndent(line, width);
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    // A word longer than the room left stays whole, on a line of its own that overflows.
    if (cut <= indent) cut = rest.indexOf(' ', width);
    if (cut < 0) break;
    const head = rest.slice(0, cut).trimEnd();
    const tail = rest.slice(cut).trimStart();
    if (tail === '') break;
    out.push(head);
    rest = ' '.repeat(indent) + tail;
  }
  out.push(rest);
  return out;
}

/**
 * Help text wrapped to the terminal's width, or to 80 columns when it is not a terminal (a pipe, a file, a pager):
 * lines of 200 to 330 columns wrapped by the terminal itself broke under the left margin, descriptions unaligned.
 */
export function wrapHelpText(text: string, columns: number | undefined): string {
  const width = Math.max(40, columns ?? 80);
  return text
    .split('\n')
    .flatMap((l) => wrapHelpLine(l, width))
    .join('\n');
}
