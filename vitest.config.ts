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
    // V8's compile cache (bin/tws-risk keeps it in the user's cache dir) likewise goes to a scratch directory.
    env: { TWS_RISK_DATA_DIR: join(tmpdir(), `tws-risk-test-data-${process.pid}`), NODE_COMPILE_CACHE: join(tmpdir(), `tws-risk-test-v8-${process.pid}`) },
  },
});
