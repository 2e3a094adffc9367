// Path settings are absolute once checked (`~/` expanded, a relative path refused): recorder.dir and $TWS_RISK_DATA_DIR.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, DATA_DIR_ENV, dataDir, loadSettings } from '../../src/config/load.js';
import { checkSettings, DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { Checker } from '../../src/model/check.js';

const HOME = '/home/operator';

function check(raw: unknown): { settings: ReturnType<typeof checkSettings>; problems: readonly string[] } {
  const c = new Checker('settings.json');
  return { settings: checkSettings(raw, c, HOME), problems: c.problems };
}

describe('recorder.dir', () => {
  it('expands a leading ~/ (or ~ alone) to the home directory: no directory named "~" in the current one', () => {
    expect(check({ recorder: { dir: '~/recs' } })).toEqual({
      settings: { ...DEFAULT_SETTINGS, recorder: { ...DEFAULT_SETTINGS.recorder, dir: '/home/operator/recs' } },
      problems: [],
    });
    expect(check({ recorder: { dir: '~' } }).settings.recorder.dir).toBe(HOME);
  });

  it('takes an absolute path as written, and empty as the default place', () => {
    expect(check({ recorder: { dir: '/var/lib/tws-risk/recs' } }).settings.recorder.dir).toBe('/var/lib/tws-risk/recs');
    expect(check({ recorder: { dir: '' } })).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
  });

  it('refuses a relative path (it would follow the working directory), naming it, and keeps the default', () => {
    for (const dir of ['recs', './recs', '~operator/recs', '~recs']) {
      const r = check({ recorder: { dir, gzip: false } });
      expect(r.problems).toEqual([`settings.json: error at recorder.dir: recorder.dir must be absolute or start with ~/, got ${JSON.stringify(dir)}`]);
      expect(r.settings.recorder).toEqual({ ...DEFAULT_SETTINGS.recorder, gzip: false });
    }
  });
});

describe("loading: ~/ is the environment's HOME, and $TWS_RISK_DATA_DIR is checked alike", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tws-risk-settings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const none = join(dir, 'none.json');

  it('expands recorder.dir against $HOME of the environment the settings are loaded in', () => {
    const file = join(dir, 'tilde.json');
    writeFileSync(file, JSON.stringify({ recorder: { dir: '~/recs' } }));
    const loaded = loadSettings(file, { HOME: HOME });
    expect(loaded.problems).toEqual([]);
    expect(loaded.settings.recorder.dir).toBe('/home/operator/recs');
  });

  it('$TWS_RISK_DATA_DIR: ~/ expanded, absolute as written; relative refused with a problem, the platform directory used', () => {
    const platform = dataDir({});
    expect(dataDir({ [DATA_DIR_ENV]: '~/tws-data', HOME })).toBe('/home/operator/tws-data');
    expect(dataDir({ [DATA_DIR_ENV]: '/srv/tws-risk', HOME })).toBe('/srv/tws-risk');
    expect(dataDir({ [DATA_DIR_ENV]: 'data', HOME })).toBe(platform);
    const env = { [DATA_DIR_ENV]: 'data', [CONFIG_ENV]: none, HOME };
    expect(loadSettings(undefined, env).problems).toEqual([
      `$${DATA_DIR_ENV}: must be absolute or start with ~/, got "data"; the platform data directory is used`,
    ]);
    expect(loadSettings(undefined, { ...env, [DATA_DIR_ENV]: '~/d' }).problems).toEqual([]);
  });
});
