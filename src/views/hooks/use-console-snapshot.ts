// The store's newest snapshot for React: the only way a view sees data (views never subscribe to streams).
import { useSyncExternalStore } from 'react';
import type { ConsoleSnapshot, ConsoleStore } from '../store.js';

export function useConsoleSnapshot(store: Pick<ConsoleStore, 'subscribe' | 'getSnapshot'>): ConsoleSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
