// The tab bar's labels fitted to the terminal's width: every pane's digit always shows.
import type { PaneId } from '../keymap/bindings.js';

/** A pane as the tab bar may name it. */
export interface TabSource {
  readonly pane: PaneId;
  readonly digit: number;
  readonly title: string;
  readonly short: string;
  readonly focused: boolean;
}

export interface Tab {
  readonly pane: PaneId;
  readonly label: string;
  readonly focused: boolean;
}

/** Each tab is its label and two cells around it (` label ` or `[label]`, TabBar.tsx). */
const barWidth = (labels: readonly string[]) => labels.reduce((w, l) => w + l.length + 2, 0);

const LADDER: readonly ((t: TabSource) => string)[] = [
  (t) => `${t.digit} ${t.title}`,
  (t) => (t.focused ? `${t.digit} ${t.title}` : `${t.digit} ${t.short}`),
  (t) => (t.focused ? `${t.digit} ${t.title}` : `${t.digit}`),
  (t) => (t.focused ? `${t.digit} ${t.short}` : `${t.digit}`),
  (t) => `${t.digit}`,
];

/**
 * The longest labels that fit: every title, then the other panes' short words, then their digits alone, then the
 * focused pane's short word. A bar cut at the edge hid the panes past it (`4 Or…` at 40 columns: 5 and 6 were not on
 * screen at all); the digit, the key the operator presses, now always shows.
 */
export function fitTabs(tabs: readonly TabSource[], columns: number): readonly Tab[] {
  const labelsOf = (step: (t: TabSource) => string) => tabs.map(step);
  const labels = LADDER.map(labelsOf).find((l) => barWidth(l) <= columns) ?? labelsOf(LADDER.at(-1)!);
  return tabs.map((t, i) => ({ pane: t.pane, label: labels[i]!, focused: t.focused }));
}
