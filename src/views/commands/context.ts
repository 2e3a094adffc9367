// What a command handler may read and do: the newest UI state, the last rendered view model, and the App's effects.
import type { CommandId } from '../../keymap/bindings.js';
import type { AppProps } from '../App.js';
import type { ConsoleSnapshot } from '../store.js';
import type { UiAction, UiState } from '../ui-state.js';
import type { ViewModel } from '../view-model.js';

/*
 * Handlers read through getters, never captured values: the UI state is the newest (keys typed ahead of a render
 * see the state the previous key left), the view model and snapshot are what is on screen, and the props are the
 * App's current ones. So one handler set lives as long as the App, with nothing stale to close over.
 */
export interface CommandContext {
  ui(): UiState;
  vm(): ViewModel;
  snapshot(): ConsoleSnapshot;
  props(): AppProps;
  dispatch(action: UiAction): void;
  /** A message on the hint line, timed on the snapshot's clock. */
  flash(text: string): void;
  /**
   * Runs `fn` once the frame showing this key's effect is on the terminal: slow work a key starts (building a plan)
   * comes after the operator has seen the key land.
   */
  afterFrame(fn: () => void): void;
  /** Runs another command (the palette runs the one it names). */
  run(command: CommandId, arg?: string): void;
  /** Once: tells the caller, then unmounts. */
  quit(): void;
}

/** One domain's commands: true when it took the command (whatever it then did), false to let the next domain try. */
export type CommandHandler = (ctx: CommandContext, command: CommandId, arg?: string) => boolean;
