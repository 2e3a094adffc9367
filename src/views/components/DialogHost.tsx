// Where dialogs and help show: over the panes' body, one at a time (a dialog or detail view before help), the panes otherwise.
import type { ReactNode } from 'react';
import { ConfirmDialog } from '../overlays/ConfirmDialog.js';
import { DetailView } from '../overlays/DetailView.js';
import { HelpOverlay } from '../overlays/HelpOverlay.js';
import type { ViewModel } from '../view-model.js';

export function DialogHost({ vm, height, children }: { readonly vm: ViewModel; readonly height: number; readonly children: ReactNode }) {
  if (vm.dialog?.scroll) return <DetailView dialog={vm.dialog} height={height} />;
  if (vm.dialog) return <ConfirmDialog dialog={vm.dialog} height={height} />;
  if (vm.help) return <HelpOverlay help={vm.help} height={height} />;
  return <>{children}</>;
}
