// A plain list pane (Positions, Orders, Executions): the table of its view model.
import { Table } from '../components/Table.js';
import type { ListVM } from '../rows/common.js';

export function ListPane({ list, focused, height }: { readonly list: ListVM; readonly focused: boolean; readonly height: number }) {
  return <Table list={list} focused={focused} height={height} />;
}
