// The pane registry: each pane view model to its component, in one table (STYLE.md "wired in one table").
import type { ReactNode } from 'react';
import type { PaneVM } from '../view-model.js';
import { AccountPane } from './AccountPane.js';
import { AlertsPane } from './AlertsPane.js';
import { ListPane } from './ListPane.js';
import { StressPane } from './StressPane.js';

export function renderPane(vm: PaneVM, focused: boolean, height: number): ReactNode {
  switch (vm.kind) {
    case 'account':
      return <AccountPane account={vm.account} height={height} />;
    case 'list':
      return <ListPane list={vm.list} focused={focused} height={height} />;
    case 'stress':
      return <StressPane stress={vm.stress} focused={focused} height={height} />;
    case 'alerts':
      return <AlertsPane alerts={vm.alerts} focused={focused} height={height} />;
  }
}
