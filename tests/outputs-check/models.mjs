// For each amplify_outputs.json given on the command line: configure the real
// `aws-amplify`, build `client.models` from its `data.model_introspection`,
// call list, get, create, update and delete on every model, and print the
// GraphQL each call sent (fetch is stubbed: nothing leaves the process).
// hoist's test validates each query against the api's schema.
import { readFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/data';

let sent = [];
globalThis.fetch = async (_url, init) => {
  const body = JSON.parse(init.body);
  sent.push(body.query);
  const field = /\{\s*(\w+)/.exec(body.query.slice(body.query.indexOf('{')))?.[1];
  const value = field?.startsWith('list') ? { items: [], nextToken: null } : null;
  return new Response(JSON.stringify({ data: { [field]: value } }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
};

const results = {};
for (const file of process.argv.slice(2)) {
  const outputs = JSON.parse(readFileSync(file, 'utf8'));
  Amplify.configure(outputs);
  const client = generateClient({ authMode: 'apiKey' });
  const report = {};
  for (const [name, model] of Object.entries(outputs.data.model_introspection.models)) {
    const api = client.models[name];
    if (!api) throw new Error(`${file}: client.models.${name} is missing`);
    const key = {};
    for (const f of [model.primaryKeyInfo.primaryKeyFieldName, ...model.primaryKeyInfo.sortKeyFieldNames]) {
      key[f] = 'k';
    }
    const ops = {};
    for (const [op, call] of [
      ['list', () => api.list()],
      ['get', () => api.get(key)],
      ['create', () => api.create({ ...key })],
      ['update', () => api.update({ ...key })],
      ['delete', () => api.delete(key)],
    ]) {
      if (typeof api[op] !== 'function') throw new Error(`${file}: client.models.${name}.${op} is not a function`);
      sent = [];
      try {
        await call();
      } catch (e) {
        throw new Error(`${file}: client.models.${name}.${op}() threw: ${e?.message ?? e}`);
      }
      if (sent.length !== 1) throw new Error(`${file}: client.models.${name}.${op}() sent ${sent.length} requests`);
      ops[op] = sent[0];
    }
    report[name] = ops;
  }
  results[file] = report;
}
console.log(JSON.stringify(results, null, 2));
