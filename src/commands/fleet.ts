// `tws-risk fleet --nats URL`: every account across hosts from the stream's last summaries, riskiest first.
import { systemClock, type Clock } from '../model/clock.js';
import { Decimal } from '../model/money.js';
import { connectNats, natsUrlProblem, redactedUrl } from '../streams/nats/connect.js';
import { readSummaries } from '../streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../streams/nats/subjects.js';
import type { RiskSummary } from '../streams/nats/summary.js';
import { join } from 'node:path';
import { dataDir } from '../config/load.js';
import { drawableTerminal, EXIT, type CommandIo } from './io.js';
import { selfCommand, verifyHint } from './self-command.js';
import { guardCursorRestore } from './cursor-guard.js';
import { SUMMARY_EVERY_MS } from './publish-flags.js';
import { neutralise } from '../model/text.js';
import { textWidth, type ColumnSpec } from '../views/format.js';

export interface FleetFlags {
  readonly nats?: string;
  readonly 'nats-creds'?: string;
  readonly 'nats-stream'?: string;
  readonly 'stale-after'?: string;
  readonly json?: boolean;
  /** The interactive view's remote kill switch (still armed in the view, and only an operator credential may send). */
  readonly trade?: boolean;
  readonly operator?: string;
  /** The global --config: the view's arming time and ASCII mode come from the settings. */
  readonly config?: string;
  readonly timeout?: string;
}

/** A publisher silent for this long is shown stale: five summaries missed. */
export const DEFAULT_STALE_AFTER_MS = 5 * SUMMARY_EVERY_MS;

export interface FleetRow {
  readonly account: string;
  readonly host: string;
  readonly role: RiskSummary['role'];
  /** Which publisher of that role on that host (a guard's or console's TWS client id, `c4801`), null when it names none. */
  readonly instance: string | null;
  readonly session: string;
  readonly health: string;
  /** Since the publisher's last summary, and since the last event it had seen (ms, the fleet's clock). */
  readonly ageMs: number;
  readonly lastEventAgeMs: number | null;
  readonly stale: boolean;
  readonly lastSeq: number;
  readonly baseCurrency: string | null;
  readonly netLiquidation: string | null;
  readonly excessLiquidity: string | null;
  readonly cushion: string | null;
  readonly worstStress: RiskSummary['worstStress'];
  readonly alerts: RiskSummary['alerts'];
  readonly armed: boolean;
  readonly mode: RiskSummary['mode'];
  readonly publishing: RiskSummary['publishing'];
  /** A guard listening for remote commands: the rules it would run; null otherwise. */
  readonly commands: RiskSummary['commands'] | null;
}

/** Riskiest first: a critical alert, then the lowest cushion (unknown last), then by account and host for a stable order. */
export function fleetRows(summaries: readonly RiskSummary[], now: number, staleAfterMs: number): FleetRow[] {
  const rows = summaries.map((s): FleetRow => ({
    account: s.account,
    host: s.host,
    role: s.role,
    instance: s.instance ?? null,
    session: s.session,
    health: s.health,
    ageMs: Math.max(0, now - s.at),
    lastEventAgeMs: s.lastEventAt === null ? null : Math.max(0, now - s.lastEventAt),
    stale: now - s.at > staleAfterMs,
    lastSeq: s.lastSeq,
    baseCurrency: s.baseCurrency,
    netLiquidation: s.netLiquidation,
    excessLiquidity: s.excessLiquidity,
    cushion: s.cushion,
    worstStress: s.worstStress,
    alerts: s.alerts,
    armed: s.armed,
    mode: s.mode,
    publishing: s.publishing,
    commands: s.commands ?? null,
  }));
  const cushion = (r: FleetRow) => (r.cushion === null ? undefined : new Decimal(r.cushion));
  return rows.sort((a, b) => {
    const crit = Number(b.alerts.critical > 0) - Number(a.alerts.critical > 0);
    if (crit !== 0) return crit;
    const ca = cushion(a);
    const cb = cushion(b);
    if (ca && cb && !ca.eq(cb)) return ca.lt(cb) ? -1 : 1;
    if (ca && !cb) return -1;
    if (!ca && cb) return 1;
    return (
      a.account.localeCompare(b.account) || a.host.localeCompare(b.host) || a.role.localeCompare(b.role) || (a.instance ?? '').localeCompare(b.instance ?? '')
    );
  });
}

const age = (ms: number | null) =>
  ms === null ? '-' : ms < 60_000 ? `${Math.round(ms / 1000)}s` : ms < 3600_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 3600_000)}h`;
const money = (v: string | null) => (v === null ? '-' : new Decimal(v).toDecimalPlaces(0).toNumber().toLocaleString('en-US'));

/*
 * The table's columns, in the order drawn, and when each gives way on a narrow terminal (ColumnSpec.priority: 0 never
 * goes, higher goes first). What an operator acts on stays: the account, its health, the worst loss, the alert counts
 * and the mode (an ARMED account, two criticals). Then where the account runs and how big it is: the host (which of
 * two rows of one account is which, what Enter opens) and the NLV go last, before the cushion; the user trial saw the
 * host dropped at 80 columns while less telling columns stayed. The scenario's name comes last and takes what is left,
 * cut between words; it goes whole when nothing else is left to give (it is in that account's Stress pane in full). A
 * number is never cut by the terminal's edge.
 */
const COLUMNS: readonly { readonly id: string; readonly header: string; readonly align: 'left' | 'right'; readonly priority: number; readonly flex?: true }[] =
  [
    { id: 'account', header: 'ACCOUNT', align: 'left', priority: 0 },
    { id: 'host', header: 'HOST', align: 'left', priority: 1 },
    { id: 'role', header: 'ROLE', align: 'left', priority: 6 },
    { id: 'health', header: 'HEALTH', align: 'left', priority: 0 },
    { id: 'age', header: 'AGE', align: 'left', priority: 7 },
    { id: 'nlv', header: 'NLV', align: 'left', priority: 2 },
    { id: 'excess', header: 'EXCESS LIQ', align: 'left', priority: 5 },
    { id: 'cushion', header: 'CUSHION', align: 'left', priority: 3 },
    { id: 'loss', header: 'WORST STRESS', align: 'left', priority: 0 },
    { id: 'alerts', header: 'ALERTS C/W/I', align: 'left', priority: 0 },
    { id: 'mode', header: 'MODE', align: 'left', priority: 0 },
    { id: 'scenario', header: 'SCENARIO', align: 'left', priority: 4, flex: true },
  ];

/** The fleet as columns (the interactive view fits them to its terminal) and each row's cells in their order. */
export function fleetColumns(rows: readonly FleetRow[]): { specs: ColumnSpec[]; rows: string[][] } {
  const body = rows.map((r) => [
    r.account,
    r.host,
    r.instance ? `${r.role} ${r.instance}` : r.role,
    r.stale ? `STALE (${r.health})` : r.health.toUpperCase(),
    `${age(r.ageMs)}/${age(r.lastEventAgeMs)}`,
    `${money(r.netLiquidation)}${r.baseCurrency ? ` ${r.baseCurrency}` : ''}`,
    money(r.excessLiquidity),
    r.cushion === null ? '-' : `${new Decimal(r.cushion).mul(100).toFixed(1)}%`,
    r.worstStress ? money(r.worstStress.loss) : '-',
    `${r.alerts.critical}/${r.alerts.warning}/${r.alerts.info}`,
    r.armed ? 'ARMED' : r.mode === 'trade' ? 'trade' : 'read-only',
    r.worstStress ? r.worstStress.scenario : '',
  ]);
  // Widths are terminal cells of the text as drawn (neutralised); the name's own width is its header's, the least it keeps.
  // Two rows of one account and host (a guard and a console, two guards) differ only in ROLE: it then stays longer
  // than HOST, which is the same for them (the user trial saw two identical rows at 80 columns).
  const seen = new Set<string>();
  const roleTells = rows.some((r) => seen.size === seen.add(`${r.account}\u0000${r.host}`).size);
  const specs = COLUMNS.map((c, i) => ({
    ...c,
    ...(roleTells && c.id === 'role' ? { priority: 0.5 } : {}),
    width: c.flex ? textWidth(c.header) : Math.max(textWidth(c.header), ...body.map((b) => textWidth(neutralise(b[i]!)))),
  }));
  return { specs, rows: body };
}

/** The text table (a pipe, a script), every column whole: the scenario's name beside its loss. */
export function fleetText(rows: readonly FleetRow[]): string[] {
  if (rows.length === 0) return ['no account has published a summary yet'];
  const { specs, rows: body } = fleetColumns(rows);
  const at = (id: string) => specs.findIndex((c) => c.id === id);
  const cells = (all: readonly string[]) => {
    const loss = all[at('loss')]!;
    const name = all[at('scenario')]!;
    return all.filter((_, i) => i !== at('scenario')).map((c, i) => (i === at('loss') && name !== '' ? `${loss} ${name}` : c));
  };
  const head = cells(specs.map((c) => c.header));
  const lines = body.map(cells);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((b) => b[i]!.length)));
  const line = (cs: string[]) =>
    cs
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...lines.map(line)];
}

/** Connects for a fleet command, or says why not (one line naming the server, credentials left out) and gives exit 3. */
export async function connectForCommand(
  f: { readonly nats?: string; readonly 'nats-creds'?: string },
  io: CommandIo,
  command: string,
  name: string,
  env?: NodeJS.ProcessEnv,
): Promise<Awaited<ReturnType<typeof connectNats>> | number> {
  try {
    return await connectNats({ url: f.nats!, ...(f['nats-creds'] ? { credsFile: f['nats-creds'] } : {}), ...(env ? { env } : {}), name });
  } catch (e) {
    io.err(`tws-risk ${command}: cannot connect to NATS at ${redactedUrl(f.nats!)}: ${(e as Error).message}`);
    return EXIT.cannotConnect;
  }
}

/** `fleet --json`: once, exit 5 on any critical alert; without --json the text table, once (refreshed on a terminal). */
export async function fleetCommand(
  f: FleetFlags,
  io: CommandIo,
  rt: {
    clock?: Clock;
    env?: NodeJS.ProcessEnv;
    watch?: boolean;
    /** The interactive view's terminal (a test's); the process's own by default. */
    streams?: { stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream };
  } = {},
): Promise<number> {
  const clock = rt.clock ?? systemClock;
  const usage = (m: string) => {
    io.err(`tws-risk fleet: ${m}`);
    return EXIT.usage;
  };
  if (f.nats === undefined) return usage('--nats nats://HOST:PORT is required');
  const p = natsUrlProblem(f.nats);
  if (p) return usage(`--nats ${p}`);
  let staleAfterMs = DEFAULT_STALE_AFTER_MS;
  if (f['stale-after'] !== undefined) {
    if (!/^\d+$/.test(f['stale-after']) || Number(f['stale-after']) < 1)
      return usage(`--stale-after expects whole seconds, got ${JSON.stringify(f['stale-after'])}`);
    staleAfterMs = Number(f['stale-after']) * 1000;
  }
  let timeoutMs: number | undefined;
  if (f.timeout !== undefined) {
    if (!/^\d+$/.test(f.timeout) || Number(f.timeout) < 1) return usage(`--timeout expects whole seconds, got ${JSON.stringify(f.timeout)}`);
    timeoutMs = Number(f.timeout) * 1000;
  }
  if (!f.trade && (f.operator !== undefined || f.timeout !== undefined))
    return usage('--operator and --timeout go with --trade (remote commands from the view) or fleet command');
  if (f.json && f.trade) return usage('--trade is for the interactive view, not --json; from a script, use fleet command');
  const watch = !f.json && (rt.watch ?? drawableTerminal(process.stdout));
  if (f.trade && !watch) return usage('--trade is for the interactive view on a terminal; from a script, use fleet command');
  const stream = f['nats-stream'] ?? DEFAULT_STREAM;
  const nc = await connectForCommand(f, io, 'fleet', 'tws-risk fleet', rt.env);
  if (typeof nc === 'number') return nc;
  try {
    const once = async (): Promise<number> => {
      let read;
      try {
        read = await readSummaries(nc, stream);
      } catch (e) {
        const m = (e as Error).message;
        if (/stream not found/i.test(m)) {
          io.err(`tws-risk fleet: no stream ${stream} at ${redactedUrl(f.nats!)} yet: nothing has been published`);
          read = { summaries: [], skipped: [] };
        } else {
          io.err(`tws-risk fleet: cannot read stream ${stream}: ${m}`);
          return EXIT.cannotConnect;
        }
      }
      for (const s of new Set(read.skipped)) io.err(`warning: a message in ${stream} is not a summary we can read (${s}); skipped`);
      const rows = fleetRows(read.summaries, clock.now(), staleAfterMs);
      if (f.json) io.out(JSON.stringify({ format: 'tws-risk-fleet', asOf: new Date(clock.now()).toISOString(), stream, staleAfterMs, rows }, null, 2));
      else io.out(fleetText(rows).join('\n'));
      return rows.some((r) => r.alerts.critical > 0) ? EXIT.criticalAlert : EXIT.ok;
    };
    if (!watch) return await once();
    // On a terminal: the interactive view (src/views/fleet), the table redrawn every two seconds; Enter follows the
    // selected account's session live from the stream (fleet --open) in its place, and quitting that console ends the
    // command (one Ink app after another on the terminal, never a third).
    const { runFleetView } = await import('../views/fleet/FleetView.js');
    // Ink hides the cursor here too: restore-cursor's exit write is kept off a redirected stderr (cursor-guard.ts).
    guardCursorRestore(process.stderr);
    // A NATS outage: the last summaries stay on screen but age by the clock (rows go STALE), under a banner, with no
    // command offered; the trial saw `READY 1s/1s` 30 s into an outage, under a bare `timeout`, and the columns cut.
    let connected = true;
    let last: { summaries: RiskSummary[]; at: number } | undefined;
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect') connected = false;
        else if (st.type === 'reconnect') connected = true;
      }
    })().catch(() => undefined);
    const load = async () => {
      let read: { summaries: RiskSummary[] } | undefined;
      let failed: string | undefined;
      if (!connected) failed = 'the connection is lost; the client reconnects by itself';
      else
        try {
          read = await readSummaries(nc, stream).catch((e: unknown) => {
            if (/stream not found/i.test((e as Error).message)) return { summaries: [], skipped: [] };
            throw e;
          });
        } catch (e) {
          failed = (e as Error).message;
        }
      if (read) last = { summaries: read.summaries, at: clock.now() };
      const rows = fleetRows(read?.summaries ?? last?.summaries ?? [], clock.now(), staleAfterMs);
      const outage =
        failed === undefined
          ? undefined
          : `${connected ? 'CANNOT READ THE STREAM' : 'NATS DISCONNECTED'}  ${last ? `last read ${age(clock.now() - last.at)} ago` : 'nothing read yet'}: ${failed}`;
      return {
        ...(outage ? { banner: outage } : {}),
        lines: fleetText(rows),
        ...(rows.length > 0 ? { columns: fleetColumns(rows) } : {}),
        keys: rows.map((r) => `${r.account}\u0000${r.session}`),
        // Only a guard that said it listens is offered, and only while its summaries are fresh: a silent guard would not answer.
        targets: rows.map((r) =>
          outage === undefined && r.role === 'guard' && r.commands && r.commands.length > 0 && !r.stale
            ? { account: r.account, host: r.host, session: r.session, guardMode: r.mode, rules: r.commands }
            : undefined,
        ),
        notOffered: rows.map((r) =>
          outage !== undefined
            ? `the fleet cannot read NATS now (${connected ? 'a read failed' : 'disconnected'}): nothing can be asked until it reads the rows again`
            : r.role !== 'guard'
              ? `${r.account} on ${r.host} is a ${r.role}'s row: only a guard takes remote commands`
              : r.stale
                ? `${r.account}'s guard on ${r.host} has been silent for ${age(r.ageMs)}: it would not answer; wait until its row is fresh again`
                : !r.commands || r.commands.length === 0
                  ? `${r.account}'s guard on ${r.host} does not listen for commands (not connected to TWS yet, or its server refused the command subject)`
                  : undefined,
        ),
      };
    };
    const { loadSettings } = await import('../config/load.js');
    const { asciiOnly } = await import('../views/theme.js');
    const loaded = loadSettings(f.config);
    for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
    for (const w of loaded.warnings ?? []) io.err(w);
    let remote;
    if (f.trade) {
      const { remoteControl } = await import('./fleet-remote.js');
      const { appVersion } = await import('../version.js');
      remote = remoteControl({
        nc,
        clock,
        armMs: loaded.settings.trading.armMinutes * 60_000,
        readMs: loaded.settings.trading.confirmReadMs,
        auditDir: join(dataDir(rt.env ?? process.env), 'audit'),
        appVersion: appVersion(),
        ...(f.operator !== undefined ? { operator: f.operator } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
    }
    const chosen = await runFleetView(
      {
        title: `tws-risk fleet · ${redactedUrl(f.nats)} · stream ${stream}${f.trade ? ' · remote commands (--trade)' : ''}`,
        load,
        everyMs: 2_000,
        ascii: asciiOnly(process.env, loaded.settings.ui.ascii),
        ...(remote ? { remote } : {}),
      },
      rt.streams,
    );
    remote?.close();
    const auditFile = remote?.auditFile();
    if (auditFile) io.err(`remote commands audit log: ${auditFile} (${verifyHint(selfCommand(), [auditFile])})`);
    if (chosen === undefined) return EXIT.ok;
    const [account, session] = chosen.split('\u0000') as [string, string];
    const { fleetOpenCommand } = await import('./fleet-open.js');
    return await fleetOpenCommand({ ...f, open: account, session }, io, { staleAfterMs, clock, ...(rt.env ? { env: rt.env } : {}) });
  } finally {
    await nc.close().catch(() => undefined);
  }
}
