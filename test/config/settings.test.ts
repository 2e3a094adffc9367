// Settings checker: path settings are absolute once checked (`~/` expanded, a relative path refused).
import { describe, expect, it } from 'vitest';
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
