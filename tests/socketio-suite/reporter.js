'use strict';
// Mocha reporter for scripts/socketio-suite.sh. Appends one JSON line per event to the file
// named by $SUITE_RESULTS as it happens, so a test file whose process dies keeps what it
// reached: {id, state: "passed" | "failed" | "pending", title, error, hook}. `id` numbers
// the test objects, so a test that passed and then failed later (an uncaught error or a
// second done() once it finished) is counted once, as failed, even when two tests share a
// title. Prints a one-line verdict per test on stdout.
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class SuiteReporter extends Mocha.reporters.Base {
  constructor(runner, options) {
    super(runner, options);
    const out = process.env.SUITE_RESULTS;
    if (!out) throw new Error('SUITE_RESULTS is not set');
    const ids = new WeakMap();
    let next = 0;
    const idOf = (test) => {
      if (!ids.has(test)) ids.set(test, next++);
      return ids.get(test);
    };
    const write = (rec) => fs.appendFileSync(out, `${JSON.stringify(rec)}\n`);
    runner.on(EVENT_TEST_PASS, (test) => {
      write({ id: idOf(test), state: 'passed', title: test.fullTitle() });
      console.log(`  ok    ${test.fullTitle()}`);
    });
    runner.on(EVENT_TEST_PENDING, (test) => {
      write({ id: idOf(test), state: 'pending', title: test.fullTitle() });
      console.log(`  skip  ${test.fullTitle()}`);
    });
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      const hook = test.type === 'hook';
      const error = String((err && (err.message || err)) || 'unknown error').split('\n')[0].slice(0, 300);
      write({ id: idOf(test), state: 'failed', hook, title: test.fullTitle(), error });
      console.log(`  FAIL  ${test.fullTitle()}: ${error}`);
    });
    runner.once(EVENT_RUN_END, () => write({ state: 'end' }));
  }
}

module.exports = SuiteReporter;
