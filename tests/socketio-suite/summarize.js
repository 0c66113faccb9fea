'use strict';
// Reads the results scripts/socketio-suite.sh left in a folder (<file>.list: the tests a
// dry run lists; <file>.run: what the real run reported, see reporter.js; <file>.note: why a
// file could not run) and prints the per-file table (Markdown) and every failure.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
const [commit, date] = [process.argv[3] || '?', process.argv[4] || new Date().toISOString()];
const read = (f) =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.list'))
  .map((f) => f.slice(0, -'.list'.length))
  .sort();

const rows = [];
const failures = [];
const sum = { passed: 0, failed: 0, pending: 0, notRun: 0, total: 0 };
for (const file of files) {
  const listed = read(path.join(dir, `${file}.list`)).filter((r) => r.state !== 'end');
  const run = read(path.join(dir, `${file}.run`));
  const note = fs.existsSync(path.join(dir, `${file}.note`)) ? fs.readFileSync(path.join(dir, `${file}.note`), 'utf8').trim() : '';
  const state = new Map();
  for (const r of run) {
    if (r.state === 'end' || r.hook) continue;
    if (state.get(r.id) !== 'failed') state.set(r.id, r.state);
  }
  for (const r of run) if (r.state === 'failed') failures.push({ file, ...r });
  const count = (s) => [...state.values()].filter((v) => v === s).length;
  const total = listed.length;
  const passed = count('passed');
  const failed = count('failed');
  const pending = count('pending');
  const ended = run.some((r) => r.state === 'end');
  const notRun = Math.max(0, total - passed - failed - pending);
  let remark = note;
  if (!remark && !ended) remark = 'the run did not finish (process died or timed out)';
  const hooks = run.filter((r) => r.hook).length;
  if (hooks) remark = [remark, `${hooks} hook failure(s)`].filter(Boolean).join('; ');
  rows.push(`| ${file} | ${passed} / ${total} | ${failed} | ${notRun + pending} | ${remark} |`);
  Object.assign(sum, {
    passed: sum.passed + passed,
    failed: sum.failed + failed,
    pending: sum.pending + pending,
    notRun: sum.notRun + notRun,
    total: sum.total + total,
  });
}

console.log(`socket.io ${commit}, packages/socket.io/test, run ${date}\n`);
console.log('| file | passed / total | failed | not run | remark |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`| **all** | **${sum.passed} / ${sum.total}** | ${sum.failed} | ${sum.notRun + sum.pending} | |`);
console.log('\nFailures:');
for (const f of failures) console.log(`- ${f.file}: ${f.title}${f.hook ? ' (hook)' : ''}: ${f.error}`);
