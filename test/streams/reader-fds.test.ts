// A reader that stops early leaves no file open: an open FileHandle is later closed by the garbage collector, and Node
// then prints a warning on stderr, over the console's screen (seen in the replay player after a seek).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readRecording } from '../../src/streams/recording/reader.js';
import { waitFor } from '../sim/helpers.js';

const openFiles = () => readdirSync('/proc/self/fd').length;

describe.skipIf(process.platform !== 'linux')('the recording reader and its files', () => {
  it.each(['recordings/flatten-disconnect.jsonl.gz', 'recordings/quiet-day.jsonl.gz'])('closes %s when the caller stops after a few lines', async (file) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const before = openFiles();
      for (let round = 0; round < 5; round++) {
        let n = 0;
        for await (const _item of readRecording(file)) if (++n === 3) break;
      }
      // Closed by the reader, not by the garbage collector (which would also bring the count back, with a warning).
      await waitFor(() => openFiles() <= before, 10_000, `the descriptors back to ${before} (now ${openFiles()})`);
      expect(warnings.filter((w) => /file descriptor|FileHandle/i.test(w))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
