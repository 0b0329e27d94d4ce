// Drives a running `hoist sandbox` with the real aws-amplify v6 client, configured
// from the amplify_outputs.json the sandbox wrote (argv[2]): CRUD, a filter, pages,
// a refused duplicate, has-many / belongs-to, and a subscription that receives
// another client's creates. Prints a JSON report; exits non-zero on a failed check.
//
// Node 20 has no global WebSocket: the `ws` package is given as one. aws-amplify
// always opens `wss://` (appsyncUrl.mjs), and the sandbox serves plain `ws://`
// on the same port, so this one shim turns the scheme back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WS from 'ws';

globalThis.WebSocket = class extends WS {
  constructor(url, protocols) {
    super(String(url).replace(/^wss:\/\//, 'ws://'), protocols);
  }
};

const { Amplify } = await import('aws-amplify');
const { generateClient } = await import('aws-amplify/data');

const outputs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
Amplify.configure(outputs);
const client = generateClient();
const other = generateClient();
const report = { checks: [] };
const check = (name) => report.checks.push(name);
const noErrors = (result, what) => {
  assert.equal(result.errors, undefined, `${what}: ${JSON.stringify(result.errors)}`);
  return result.data;
};

// create, get
const names = ['milk', 'bread', 'eggs'];
const created = [];
for (const name of names) {
  const todo = noErrors(await client.models.Todo.create({ name, description: 'to buy' }), 'create');
  assert.equal(todo.name, name);
  assert.match(todo.createdAt, /Z$/);
  created.push(todo);
}
check('create');
const got = noErrors(await client.models.Todo.get({ id: created[1].id }), 'get');
assert.equal(got.name, 'bread');
assert.equal(noErrors(await client.models.Todo.get({ id: 'nope' }), 'get missing'), null);
check('get');

// a duplicate id: DynamoDB's condition refuses it, as AppSync reports it
const dup = await client.models.Todo.create({ id: created[0].id, name: 'again' });
assert.equal(dup.data, null);
assert.equal(dup.errors[0].errorType, 'DynamoDB:ConditionalCheckFailedException');
check('duplicate refused');

// a filter, then pages of one
const filtered = noErrors(await client.models.Todo.list({ filter: { name: { beginsWith: 'e' } } }), 'filter');
assert.deepEqual(filtered.map((t) => t.name), ['eggs']);
check('filter');
const seen = [];
let nextToken = null;
let pages = 0;
do {
  const page = await client.models.Todo.list({ limit: 1, nextToken });
  noErrors(page, 'page');
  seen.push(...page.data.map((t) => t.name));
  nextToken = page.nextToken;
  pages += 1;
} while (nextToken && pages < 10);
assert.deepEqual(seen.sort(), [...names].sort());
check('pages');

// update, delete
const updated = noErrors(await client.models.Todo.update({ id: created[0].id, description: 'oat' }), 'update');
assert.equal(updated.description, 'oat');
assert.equal(updated.name, 'milk');
check('update');
const deleted = noErrors(await client.models.Todo.delete({ id: created[2].id }), 'delete');
assert.equal(deleted.name, 'eggs');
assert.equal(noErrors(await client.models.Todo.get({ id: created[2].id }), 'get deleted'), null);
check('delete');

// has many / belongs to, through the client's lazy loaders
const blog = noErrors(await client.models.Blog.create({ name: 'news' }), 'create blog');
for (const title of ['one', 'two']) {
  noErrors(await client.models.Post.create({ title, blogId: blog.id }), 'create post');
}
noErrors(await client.models.Post.create({ title: 'elsewhere' }), 'create unrelated post');
const posts = noErrors(await blog.posts(), 'blog.posts()');
assert.deepEqual(posts.map((p) => p.title).sort(), ['one', 'two']);
const parent = noErrors(await posts[0].blog(), 'post.blog()');
assert.equal(parent.name, 'news');
check('has many / belongs to');

// a subscription receives another client's creates
const received = [];
const subscription = client.models.Todo.onCreate().subscribe({
  next: (todo) => received.push(todo.name),
  error: (e) => received.push(`error: ${JSON.stringify(e)}`),
});
const sent = [];
for (let i = 0; i < 40 && received.length === 0; i++) {
  const name = `live-${i}`;
  noErrors(await other.models.Todo.create({ name }), 'create while subscribed');
  sent.push(name);
  await new Promise((r) => setTimeout(r, 250));
}
subscription.unsubscribe();
assert.ok(received.length > 0, 'no event reached the subscriber');
assert.ok(sent.includes(received[0]), `received ${received[0]}`);
check('subscription');
report.received = received;

console.log(JSON.stringify(report));
process.exit(0);
