// dist/cjs holds the CommonJS build: this package.json makes Node read its .js files as CommonJS,
// where the package's own says "type": "module".
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
