// Ink's <Text>, memoised on its props: a line whose words and styles did not change is not rendered or redrawn again.
import { Text as InkText } from 'ink';
import { Fragment, isValidElement, memo, type ComponentProps } from 'react';

/*
 * Why: Ink's Text makes a new colour transform on every render, and a new transform is a change to Ink: the enclosing
 * line is marked dirty, measured, squashed (each nested Text's chalk call again) and its screen row drawn again, even
 * when its words and styles are those of the frame before. A status bar, a pane title or a row is rendered again on
 * most frames (its parent's view model is new), so most of a frame's text went through all of that for nothing.
 * Memoised on its props, a Text whose props equal the last render's keeps its transform and Ink sees no change.
 *
 * A line of styled cells is a Text whose children are a new list of new Text elements on every render, so children
 * are compared by what they describe: lists element by element, and Text or Fragment elements by key and props, in
 * the same way. Nothing else is looked into (any other element is a change unless it is the same object): these two
 * draw nothing but their props, so equal descriptions draw the same line.
 */
function same(x: unknown, y: unknown): boolean {
  if (Object.is(x, y)) return true;
  if (Array.isArray(x)) return Array.isArray(y) && x.length === y.length && x.every((v, i) => same(v, y[i]));
  if (isValidElement(x) && isValidElement(y)) {
    return x.type === y.type && (x.type === Text || x.type === Fragment) && x.key === y.key && sameProps(x.props as Props, y.props as Props);
  }
  return false;
}

type Props = Readonly<Record<string, unknown>>;

function sameProps(a: Props, b: Props): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || !same(a[k], b[k])) return false;
  return true;
}

export type TextProps = ComponentProps<typeof InkText>;

export const Text = memo(InkText, sameProps);
