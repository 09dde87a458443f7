// Prints the closing line CI reads, "N passed, N failed[, N skipped]", after naming every skipped test
// group with its file, so a suite that did not run (no Chromium, no TEST_DATABASE_URL…) is never silent.
const { relative } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const skippedGroups = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending' && test.status !== 'todo') continue;
        const group = `${relative(this.rootDir, file.testFilePath)}: ${test.ancestorTitles[0] ?? test.title}`;
        skippedGroups.set(group, (skippedGroups.get(group) ?? 0) + 1);
      }
    }
    if (skippedGroups.size > 0) {
      process.stdout.write('\nSkipped:\n');
      for (const [group, count] of skippedGroups) process.stdout.write(`  ${group} (${count} test${count === 1 ? '' : 's'})\n`);
    }
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
module.exports = SummaryReporter;
