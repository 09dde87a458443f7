/**
 * `node .ci/node24.mjs .ci/validate-workflows.ts`: schema check of every action.yml and workflow in the repository
 * (test/workflows/validate.ts says what is checked). Exits 1 with one line per problem.
 */
import { REPO_ROOT, validateRepository } from '../test/workflows/validate.ts';

const report = validateRepository(REPO_ROOT);
for (const problem of report.problems) console.error(`validate-workflows: ${problem}`);
if (report.problems.length > 0) process.exit(1);
console.log(`validate-workflows: ${report.checked.length} files valid (${report.checked.join(', ')})`);
