#!/usr/bin/env node
'use strict';
// `npm run bench:cpp`: builds the Google Benchmark programs of the C++ core
// (Release, build-bench/) and runs each with the settings that made
// bench/cpp/RESULTS.md: medians of 5 repetitions, against the mutex baseline.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'build-bench');
function run(cmd, args, cwd = root) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}
run('cmake', ['-S', '.', '-B', dir, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release', '-DNATIVEPOOL_BENCH=ON']);
run('cmake', ['--build', dir]);
const flags = ['--benchmark_repetitions=5', '--benchmark_report_aggregates_only=true', '--benchmark_min_time=0.3'];
for (const exe of ['handoff_bench', 'roundtrip_bench']) run(path.join(dir, exe), flags, dir);
