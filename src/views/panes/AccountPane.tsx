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
  /*
   * Every line gets a row of its own or is not drawn: Ink lets Yoga shrink a Text in a column that is too short, and
   * shrunk lines are drawn over each other, so at 40x10 the Cushion line was drawn over Available funds' row and showed
   * its figure (249,824) as if it were the cushion's. A pane too short for the header, the six rows and the band line
   * drops the header, then the last rows, keeps the band line and names what it left out on a line of its own.
   */
  const whole = 1 + account.rows.length + 1;
  if (height < whole) {
    const keep = Math.max(0, Math.min(account.rows.length, height - 2));
    const left = account.rows.slice(keep).map((r) => r.cells['label']?.text ?? r.id);
    return (
      <Box flexDirection="column" flexShrink={0}>
        {account.rows.slice(0, keep).map((r) => (
          <Row key={r.id} row={r} columns={account.columns} selected={false} focused={false} theme={theme} />
        ))}
        <Cushion account={account} />
        {height >= 2 ? (
          <Text wrap="truncate-end" {...theme.muted}>
            {` ${ellipsis()} ${left.length} not shown: ${left.join(', ')} (a taller terminal shows them)`}
          </Text>
        ) : null}
      </Box>
    );
  }
  // Header, six rows, the band line; cash by currency in the room left. Currencies that do not fit are named on the
  // last line, never dropped silently: a short pane would otherwise show one balance as if it were the only one.
  const cashRoom = height - whole;
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
    <Box flexDirection="column" flexShrink={0}>
      <Header columns={account.columns} />
      {account.rows.map((r) => (
        <Row key={r.id} row={r} columns={account.columns} selected={false} focused={false} theme={theme} />
      ))}
      <Cushion account={account} />
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

/** The cushion and the margin band as a word: the line a short pane keeps whatever else it leaves out. */
function Cushion({ account }: { readonly account: AccountVM }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end">
      <Text>{' Cushion '}</Text>
      <Text bold>{account.cushion}</Text>
      <Text>{'  '}</Text>
      <Text {...theme[BAND_SLOTS[account.band]]}>{` ${account.bandText} `}</Text>
    </Text>
  );
}
