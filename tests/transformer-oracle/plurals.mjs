// The plural the npm `pluralize` library Amplify's transformer installs
// gives each word (its list queries are `list<plural>`):
//
//   node plurals.mjs WORD...
//
// Prints one JSON object, word to plural.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pluralize = require('pluralize');
const out = {};
for (const word of process.argv.slice(2)) out[word] = pluralize(word);
process.stdout.write(JSON.stringify(out));
