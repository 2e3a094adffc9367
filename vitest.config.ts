import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Integration tests open real loopback sockets and real files; give them room on a 2-core box.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/global-setup.ts'],
    // Deadlines are for hangs, not speed: a busy machine must not fail a test that would pass given time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one worker on the 2-core machines this runs on. Most
    // of the suite waits on sockets, terminals and simulated time rather than computing, so two workers nearly
    // halve the wall time; no test depends on the machine being otherwise idle.
    maxWorkers: 2,
    // Recordings and audit logs written by commands under test go to a scratch directory, never the user's.
    env: { TWS_RISK_DATA_DIR: join(tmpdir(), `tws-risk-test-data-${process.pid}`) },
  },
});
