// The README's screenshots cannot drift: regenerating them from the pinned demo in tmux gives the committed files, and the README embeds the 80x24 one.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureScreens, screenshotFile, SIZES } from '../../scripts/screenshots.js';
import { ensureBuilt, hasTmux } from '../support/tmux.js';

if (!hasTmux) console.warn('test/e2e/screenshots-tmux.test.ts: skipped because tmux is not installed (on PATH); .ci/run installs it with apt-get');

beforeAll(() => {
  if (hasTmux) ensureBuilt();
}, 360_000);

describe('the README screenshots', () => {
  it.skipIf(!hasTmux)(
    'regenerate to exactly the committed files (npm run screenshots)',
    async () => {
      const screens = await captureScreens();
      expect([...screens.keys()]).toEqual(SIZES.map(screenshotFile));
      for (const [file, text] of screens) {
        expect(text, `${file} is out of date: run npm run screenshots`).toBe(readFileSync(file, 'utf8'));
        const [x, y] = /(\d+)x(\d+)/.exec(file)!.slice(1).map(Number) as [number, number];
        const lines = text.replace(/\n$/, '').split('\n');
        expect(lines).toHaveLength(y);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(x);
      }
    },
    360_000,
  );

  it('are what the README shows: the 80x24 screen embedded, the 200x50 one linked', () => {
    const readme = readFileSync('README.md', 'utf8');
    const m = /<!-- SCREENSHOT:BEGIN (\S+) -->\n```\n([\s\S]*?)```\n<!-- SCREENSHOT:END -->/.exec(readme);
    expect(m, 'README.md has the screenshot section').not.toBeNull();
    expect(m![1]).toBe(screenshotFile([80, 24]));
    expect(m![2]).toBe(readFileSync(m![1]!, 'utf8'));
    expect(readme).toContain(`](${screenshotFile([200, 50])})`);
  });
});
