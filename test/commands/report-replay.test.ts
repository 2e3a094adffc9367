// `report --replay`: the verdict (exit 5 or 0) and the alerts listed come from what the recording holds, never from
// today's rules re-run on the replayed state (issue 15: a review shows what the operator saw).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { FeedEvent } from '../../src/model/events.js';
import { RULE_NAMES } from '../../src/risk/alerts/index.js';
import { readRecording } from '../../src/streams/recording/reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-report-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function report(...args: string[]): Promise<{ code: number; alerts: { id: string; severity: string }[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['report', ...args, '--json'], { out: (x) => out.push(x), err: (x) => err.push(x) });
  return { code, alerts: (JSON.parse(out.join('\n')) as { alerts: { id: string; severity: string }[] }).alerts, err: err.join('\n') };
}

async function alertEvents(file: string): Promise<Extract<FeedEvent, { type: 'alertChanged' }>[]> {
  const out: Extract<FeedEvent, { type: 'alertChanged' }>[] = [];
  for await (const it of readRecording(file, { skipKeyframeStates: true })) if (it.kind === 'event' && it.event.type === 'alertChanged') out.push(it.event);
  return out;
}

/** Settings under which no rule would fire today. */
function silentSettings(): string {
  const file = join(dir, 'silent.json');
  writeFileSync(file, JSON.stringify({ alerts: { rules: Object.fromEntries(RULE_NAMES.map((r) => [r, { enabled: false }])) } }));
  return file;
}

describe('report --replay judges by the recorded alerts', () => {
  it('a quiet day, stopped by the operator at its end, exits 0 with no alert listed', async () => {
    const r = await report('--replay', 'recordings/quiet-day.jsonl.gz');
    expect(r.alerts).toEqual([]);
    expect(r.code).toBe(0);
  }, 60_000);

  it('the margin spike lists the alerts still open at its end and exits 5 only if one of them is critical', async () => {
    const events = await alertEvents('recordings/margin-spike.jsonl.gz');
    const open = new Map<string, string>();
    for (const e of events) {
      if (e.kind === 'cleared') open.delete(String(e.alert.id));
      else open.set(String(e.alert.id), String(e.alert.severity));
    }
    expect(open.size).toBeGreaterThan(0);
    const r = await report('--replay', 'recordings/margin-spike.jsonl.gz');
    expect(r.alerts.map((a) => a.id).sort()).toEqual([...open.keys()].sort());
    expect(r.code).toBe([...open.values()].includes('critical') ? 5 : 0);
  }, 60_000);

  it('with every rule switched off today, a moment when a critical alert was listed still shows it and exits 5', async () => {
    const events = await alertEvents('recordings/chf-gap.jsonl.gz');
    const raised = events.find((e) => e.kind === 'raised' && e.alert.severity === 'critical')!;
    const cleared = events.find((e) => e.kind === 'cleared' && e.alert.id === raised.alert.id)!;
    const at = new Date(Math.floor((raised.receivedAt + cleared.receivedAt) / 2)).toISOString();
    const r = await report('--replay', 'recordings/chf-gap.jsonl.gz', '--at', at, '--config', silentSettings());
    expect(r.alerts.find((a) => a.id === raised.alert.id)?.severity).toBe('critical');
    expect(r.code).toBe(5);
    // After the clear, the same file under the same settings has nothing critical.
    const after = await report('--replay', 'recordings/chf-gap.jsonl.gz', '--at', new Date(cleared.receivedAt).toISOString(), '--config', silentSettings());
    expect(after.alerts.some((a) => a.severity === 'critical')).toBe(false);
    expect(after.code).toBe(0);
  }, 60_000);

  it("judges today's rules with the margin method it prints, whatever extra scenarios are asked for", async () => {
    // The alerts judge the built-in scenario list; with --shock the report prints more, and the alerts' own stress pass
    // must still use --margin-method (it used the default, and margin.jump compared against another estimate).
    const estimateOf = async (...extra: string[]) => {
      const out: string[] = [];
      await main(['report', '--replay', 'recordings/sample-multicurrency.jsonl', '--at', '14:30:20', '--json', '--margin-method', 'portfolio', ...extra], {
        out: (x) => out.push(x),
        err: () => {},
      });
      const doc = JSON.parse(out.join('\n')) as { todaysRulesDiffer: { id: string; detail: { factor?: { estimated: string } } }[] };
      return doc.todaysRulesDiffer.find((a) => a.id === 'margin.jump')?.detail.factor?.estimated;
    };
    const plain = await estimateOf();
    expect(plain).toBeDefined();
    expect(await estimateOf('--shock', 'px:STK=-7%')).toBe(plain);
  }, 60_000);

  it('refuses an --at before the recording starts (it printed an empty account and exited 0), naming the start', async () => {
    const file = 'recordings/sample-multicurrency.jsonl';
    const start = (JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as { startedAt: string }).startedAt;
    const before = new Date(Date.parse(start) - 3_600_000).toISOString();
    const err: string[] = [];
    const code = await main(['report', '--replay', file, '--at', before], { out: () => {}, err: (x) => err.push(x) });
    expect(code).toBe(2);
    expect(err.join('\n')).toBe(`tws-risk report: --at ${before} is before the recording starts (${start}); nothing was recorded then`);
  }, 60_000);

  it('refuses an --at after the recording ends (it priced the last positions on a later day, options nearer expiry), naming the end', async () => {
    const file = 'recordings/sample-multicurrency.jsonl';
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const end = (JSON.parse(lines[lines.length - 1]!) as { kind: string; endedAt: string }).endedAt;
    const later = new Date(Date.parse(end) + 30 * 86_400_000).toISOString();
    const err: string[] = [];
    const code = await main(['report', '--replay', file, '--at', later], { out: () => {}, err: (x) => err.push(x) });
    expect(code).toBe(2);
    expect(err.join('\n')).toBe(`tws-risk report: --at ${later} is after the recording ends (${end}); nothing was recorded then`);
    // The end itself is still in the recording: the account as it was when the file was sealed.
    const atEnd = await report('--replay', file, '--at', end);
    expect(atEnd.code).toBe(0);
  }, 60_000);
});

describe('report --replay says what its figures leave out', () => {
  /** The JSON document, exit code and stderr of a report of `file`. */
  async function doc(...args: string[]): Promise<{ code: number; json: { warnings: string[]; scenarios: { label: string; pnl: string }[] }; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['report', ...args, '--json'], { out: (x) => out.push(x), err: (x) => err.push(x) });
    return { code, json: JSON.parse(out.join('\n')) as never, err: err.join('\n') };
  }

  it('a moment before the options were priced exits 6 and names them (its figures were rosier, with exit 0); the whole day exits 0 with no warning', async () => {
    const file = 'recordings/quiet-day.jsonl.gz';
    let firstOption: number | undefined;
    let downloaded: number | undefined;
    for await (const it of readRecording(file, { skipKeyframeStates: true })) {
      if (it.kind !== 'event') continue;
      if (it.event.type === 'positionsEnded') downloaded ??= it.event.receivedAt;
      if (it.event.type === 'optionComputed') firstOption ??= it.event.receivedAt;
    }
    expect(downloaded).toBeDefined();
    expect(firstOption).toBeGreaterThan(downloaded!);
    const early = await doc('--replay', file, '--at', new Date(downloaded!).toISOString());
    expect(early.code).toBe(6);
    expect(early.json.warnings).toHaveLength(1);
    expect(early.json.warnings[0]).toMatch(/^the recorded state at this point lacks .*option computations for .*an unpriced option stays at its mark/);
    expect(early.err).toContain(`warning: ${early.json.warnings[0]}`);
    const whole = await doc('--replay', file);
    expect(whole.json.warnings).toEqual([]);
    expect(whole.code).toBe(0);
  }, 60_000);

  it('a --shock name the book does not hold is named, with the held name a typo away; a held one is not', async () => {
    const r = await doc(
      '--replay',
      'recordings/quiet-day.jsonl.gz',
      '--shock',
      'sym:APPL=-30%',
      '--shock',
      'sym:AAPL=-30%',
      '--shock',
      'fx:XAU=-10%',
      '--shock',
      'px:CFD=-50%',
    );
    expect(r.code).toBe(0);
    expect(r.json.warnings).toEqual([
      '--shock "sym:APPL=-30%": sym:APPL matches no position in the book, so it moves nothing (did you mean sym:AAPL?)',
      '--shock "fx:XAU=-10%": fx:XAU matches no cash balance or position in the book, so it moves nothing',
      '--shock "px:CFD=-50%": px:CFD matches no position of that class in the book, so it moves nothing',
    ]);
    for (const w of r.json.warnings) expect(r.err).toContain(`warning: ${w}`);
  }, 60_000);
});
