// Writes the JSON schema of mailwright.yaml and its reference page from src/core/config/schema.ts.
// Run after changing a key there: npm run config-reference (a unit test fails while they differ).
import { writeFileSync } from 'node:fs';
import { CONFIG_REFERENCE_FILES, configReferenceFiles } from '../src/core/config/schema';

const files = configReferenceFiles();
for (const path of CONFIG_REFERENCE_FILES) writeFileSync(path, files[path]);
console.log(`wrote ${CONFIG_REFERENCE_FILES.join(', ')}`);
