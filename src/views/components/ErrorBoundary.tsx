// A pane that throws shows its message in place and the rest keeps running (STYLE.md "A failing pane"); also the root's.
import { Text } from './Text.js';
import { Component, type ReactNode } from 'react';

interface Props {
  readonly name: string;
  readonly children: ReactNode;
  /** Who else hears of it (the console flashes it on the hint line); the pane shows one line. */
  readonly onError?: (name: string, error: Error) => void;
  /** What to show instead of the failed children; by default the one line a pane shows. */
  readonly fallback?: (error: Error) => ReactNode;
}

export class ErrorBoundary extends Component<Props, { error?: Error }> {
  override state: { error?: Error } = {};

  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error };
  }

  override componentDidCatch(error: Error): void {
    this.props.onError?.(this.props.name, error);
  }

  override render(): ReactNode {
    if (this.state.error) {
      if (this.props.fallback) return this.props.fallback(this.state.error);
      return (
        <Text wrap="truncate-end" bold>
          {`This pane failed: ${this.state.error.message} (the other panes are unaffected)`}
        </Text>
      );
    }
    return this.props.children;
  }
}
