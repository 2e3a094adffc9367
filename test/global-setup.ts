// Builds dist once before any worker starts, when a source is newer than it: the terminal and process tests run the
// built CLI, and two workers building it at the same moment could read each other's half-written files.
import { ensureBuilt } from './support/tmux.js';

export default function setup(): void {
  ensureBuilt();
}
