import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountValue, baseValue } from '../src/model/account-values.js';
import type { FeedEvent } from '../src/model/events.js';
import { reduceAll } from '../src/model/reducer.js';
import { readRecording } from '../src/streams/recording/reader.js';
import { SAMPLE_FILE, writeSampleRecording } from '../scripts/make-recordings.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-samples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shipped sample recording', () => {
  it('is exactly what `npm run recordings` writes (regenerate it after changing the writer or the sample)', async () => {
    const fresh = await writeSampleRecording(dir);
    expect(readFileSync(fresh, 'utf8')).toBe(readFileSync(join('recordings', SAMPLE_FILE), 'utf8'));
  });

  it('folds into a multi-currency account with the values it was written with', async () => {
    const events: FeedEvent[] = [];
    for await (const item of readRecording(join('recordings', SAMPLE_FILE))) if (item.kind === 'event') events.push(item.event);
    const s = reduceAll(events);
    expect(s.baseCurrency).toBe('USD');
    expect([...s.fxRates.keys()].sort()).toEqual(['CHF', 'EUR', 'GBP', 'JPY', 'USD']);
    expect(baseValue(s, 'NetLiquidation')?.toString()).toBe('1046214.37');
    expect(accountValue(s, 'CashBalance', 'JPY')?.value?.toString()).toBe('2500000');
    // The ES future was sold during the session: its row is gone, its fill and commission are joined.
    expect(s.portfolio.get(620731036)).toBeUndefined();
    expect(s.portfolio.size).toBe(6);
    expect([...s.executions.values()][0]?.commission?.toString()).toBe('2.25');
    expect(s.health).toBe('ready');
  });
});
