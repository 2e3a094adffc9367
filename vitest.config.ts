import { defineConfig } from 'vitest/config';

// Integration tests open real loopback sockets and real files; give them room on a 2-core box.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
