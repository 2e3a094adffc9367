// "Did you mean": the one known name a typo or two away from what was typed (a policy's alert id, a --shock symbol).

/**
 * The known name closest to `name` within `maxEdits` edits, or undefined when none is that close or two are equally
 * close (a guess between two would mislead). An edit is a letter changed, added or dropped, or two neighbouring
 * letters swapped (APPL for AAPL is one edit).
 */
export function nearestName(name: string, names: Iterable<string>, maxEdits: number): string | undefined {
  let best: string | undefined;
  let bestD = maxEdits + 1;
  let tie = false;
  for (const n of names) {
    if (Math.abs(n.length - name.length) > maxEdits) continue;
    const d = typoDistance(name, n);
    if (d < bestD) {
      best = n;
      bestD = d;
      tie = false;
    } else if (d === bestD) tie = true;
  }
  return tie ? undefined : best;
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
export function typoDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}
