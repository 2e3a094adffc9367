// Account pane: reported values per segment beside our estimate, with ages; the margin band as a word; cash by currency.
import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useTheme } from '../context/theme.js';
import { Header, Row } from '../components/Table.js';
import { BAND_SLOTS, type AccountVM } from '../rows/account.js';

export function AccountPane({ account, height }: { readonly account: AccountVM; readonly height: number }) {
  const theme = useTheme();
  if (account.empty) {
    return (
      <Text wrap="truncate-end" {...theme.muted}>
        {account.empty}
      </Text>
    );
  }
  // Header, six rows, the band line; cash by currency only if there is room left.
  const cashRoom = height - 1 - account.rows.length - 1 - 1;
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
      {cashRoom >= 2 && account.cash.length > 0 ? (
        <>
          <Header columns={account.cashColumns} />
          {account.cash.slice(0, cashRoom - 1).map((r) => (
            <Row key={r.id} row={r} columns={account.cashColumns} selected={false} focused={false} theme={theme} />
          ))}
        </>
      ) : null}
    </Box>
  );
}
