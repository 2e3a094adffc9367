// Ink's <Text>, memoised on its props: a line whose words and styles did not change is not rendered or redrawn again.
import { Text as InkText } from 'ink';
import { memo, type ComponentProps } from 'react';

/*
 * Why: Ink's Text makes a new colour transform on every render, and a new transform is a change to Ink: the enclosing
 * line is marked dirty, measured, squashed (each nested Text's chalk call again) and its screen row drawn again, even
 * when its words and styles are those of the frame before. A status bar, a pane title or a row is rendered again on
 * most frames (its parent's view model is new), so most of a frame's text went through all of that for nothing.
 * Memoised on its props, a Text whose props equal the last render's keeps its transform and Ink sees no change.
 * Children given as a list (`{' '}{label}`) are a new array each render: equal when each element is the same.
 */
function sameProps(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (!Object.hasOwn(b, k)) return false;
    const x = a[k];
    const y = b[k];
    if (Object.is(x, y)) continue;
    if (k !== 'children' || !Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  }
  return true;
}

export type TextProps = ComponentProps<typeof InkText>;

export const Text = memo(InkText, sameProps);
