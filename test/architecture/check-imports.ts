/**
 * `npm run lint:imports`: checks the imports of src/ against layers.ts and
 * prints each one that breaks a rule.
 */
import { join } from 'node:path';
import { checkImports, describeViolation, readSources } from './import-rules.js';
import { importRules } from './layers.js';

const root = join(import.meta.dirname, '..', '..');
const files = readSources(root);
const violations = checkImports(files, importRules);
for (const violation of violations) console.error(describeViolation(violation));
if (violations.length > 0) {
  console.error(`\n${violations.length} import rule(s) broken; the rules are in test/architecture/layers.ts`);
  process.exitCode = 1;
} else {
  console.log(`imports: ${files.length} files in src/ keep the layers (${importRules.exceptions.length} named exceptions)`);
}
