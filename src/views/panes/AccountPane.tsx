// Account pane: reported values per segment beside our estimate, with ages; the margin band as a word; cash by currency.
import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useTheme } from '../context/theme.js';
import { Header, Row } from '../components/Table.js';
import { BAND_SLOTS, type AccountVM } from '../rows/account.js';
import { ellipsis } from '../format.js';

export function AccountPane({ account, height }: { readonly account: AccountVM; readonly height: number }) {
  const theme = useTheme();
  if (account.empty) {
    return (
      <Text wrap="truncate-end" {...theme.muted}>
        {account.empty}
      </Text>
    );
  }
  // Header, six rows, the band line; cash by currency in the room left. Currencies that do not fit are named on the
  // last line, never dropped silently: a short pane would otherwise show one balance as if it were the only one.
  const cashRoom = height - 1 - account.rows.length - 1;
  const fits = account.cash.length <= cashRoom - 1;
  // Cut: a line for the note; the column header only when two rows are left for it and a balance.
  const header = fits ? cashRoom >= 2 : cashRoom >= 3;
  const shown = fits ? account.cash : account.cash.slice(0, Math.max(0, cashRoom - 1 - (header ? 1 : 0)));
  const hidden = account.cash.slice(shown.length).map((r) => r.id.replace(/^cash:/, ''));
  const note =
    shown.length === 0
      ? `Cash in ${hidden.length} ${hidden.length === 1 ? 'currency' : 'currencies'} not shown: ${hidden.join(', ')} (a taller terminal shows them)`
      : `${ellipsis()} ${hidden.length} more ${hidden.length === 1 ? 'currency' : 'currencies'} not shown: ${hidden.join(', ')} (a taller terminal shows them)`;
  return (
    <Box flexDirection="column">
      <Header columns={account.columns} />
      {account.rows.map((r) => (
        <Row key={r.id} row={r} columns={account.columns} selected={false} focused={false} theme={theme} />
      ))}
      <Text wrap="truncate-end">
        <Text>{' Cushion '}</Text>
        <Text bold>{account.cushion}</Text>
        <Text>{'  '}</Text>
        <Text {...theme[BAND_SLOTS[account.band]]}>{` ${account.bandText} `}</Text>
      </Text>
      {cashRoom >= 2 && shown.length > 0 ? (
        <>
          {header ? <Header columns={account.cashColumns} /> : null}
          {shown.map((r) => (
            <Row key={r.id} row={r} columns={account.cashColumns} selected={false} focused={false} theme={theme} />
          ))}
        </>
      ) : null}
      {cashRoom >= 1 && hidden.length > 0 ? (
        <Text wrap="truncate-end" {...theme.muted}>
          {` ${note}`}
        </Text>
      ) : null}
    </Box>
  );
}
