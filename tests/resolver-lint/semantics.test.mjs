// Runs hoist's generated resolvers (copied to generated/ by the Rust test
// `generated_resolvers_pass_the_appsync_linter`) against appsync-runtime.mjs and
// checks that the `@auth` rules of the api-auth-rules schema are enforced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { state, Unauthorized } from './appsync-runtime.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const runtimeUrl = pathToFileURL(join(here, 'appsync-runtime.mjs')).href;

async function load(caseName, file) {
  const source = readFileSync(join(here, 'generated', caseName, 'dev/api-main/resolvers', file), 'utf8')
    .replaceAll("'@aws-appsync/utils/dynamodb'", `'${runtimeUrl}'`)
    .replaceAll("'@aws-appsync/utils'", `'${runtimeUrl}'`);
  const out = join(here, 'generated', '.run', caseName, `${file}.mjs`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, source);
  return import(pathToFileURL(out).href);
}

const alice = { authType: 'User Pool Authorization', identity: { sub: 's1', username: 'alice', claims: { sub: 's1', 'cognito:username': 'alice' } } };
const bob = { authType: 'User Pool Authorization', identity: { sub: 's2', username: 'bob', claims: { sub: 's2', 'cognito:username': 'bob', 'cognito:groups': ['Admin'] } } };
const carol = { authType: 'User Pool Authorization', identity: { sub: 's3', username: 'carol', claims: { sub: 's3', 'cognito:username': 'carol', 'cognito:groups': ['red'] } } };
const apiKey = { authType: 'API Key Authorization', identity: null };
const iamUser = { authType: 'IAM Authorization', identity: { cognitoIdentityAuthType: 'authenticated' } };
const iamGuest = { authType: 'IAM Authorization', identity: { cognitoIdentityAuthType: 'unauthenticated' } };

function ctx(caller, extra = {}) {
  state.authType = caller.authType;
  state.subscriptionFilter = null;
  return { identity: caller.identity, args: {}, stash: {}, source: {}, ...extra };
}

const denied = (fn) => assert.throws(fn, Unauthorized);

test('owners read their notes; others do not; the Admin group and API key holders do', async () => {
  const r = await load('api-auth-rules', 'Query.getNote.js');
  const note = { id: 'n1', owner: 's1::alice', editors: [] };
  assert.deepEqual(r.response(ctx(alice, { result: note })), note);
  denied(() => r.response(ctx(carol, { result: note })));
  assert.deepEqual(r.response(ctx(bob, { result: note })), note);
  assert.deepEqual(r.response(ctx(apiKey, { result: note })), note);
  denied(() => r.request(ctx(iamUser, { args: { id: 'n1' } })));
  // an editor (a list owner field) reads it too
  assert.deepEqual(r.response(ctx(carol, { result: { ...note, editors: ['carol'] } })).id, 'n1');
});

test('a list is narrowed to the caller\'s notes', async () => {
  const r = await load('api-auth-rules', 'Query.listNotes.js');
  const request = r.request(ctx(alice));
  assert.equal(request.operation, 'Scan');
  const own = JSON.stringify(request.filter);
  assert.ok(own.includes('s1::alice') && own.includes('editors'), own);
  const open = r.request(ctx(apiKey));
  assert.equal(open.filter, undefined);
  denied(() => r.request(ctx(iamGuest)));
});

test('a new note gets its owner from the caller, and nobody creates for someone else', async () => {
  const r = await load('api-auth-rules', 'Mutation.createNote.js');
  const request = r.request(ctx(alice, { args: { input: { title: 't' } } }));
  assert.equal(request.item.owner, 's1::alice');
  assert.equal(request.item.priority, 3, '@default');
  denied(() => r.request(ctx(alice, { args: { input: { title: 't', owner: 's2::bob' } } })));
  denied(() => r.request(ctx(apiKey, { args: { input: { title: 't' } } })));
  // the Admin group may create on anyone's behalf
  assert.equal(r.request(ctx(bob, { args: { input: { title: 't', owner: 's1::alice' } } })).item.owner, 's1::alice');
});

test('updates and deletes are conditional on ownership', async () => {
  const update = await load('api-auth-rules', 'Mutation.updateNote.js');
  const request = update.request(ctx(alice, { args: { input: { id: 'n1', title: 'new' } } }));
  assert.ok(JSON.stringify(request.condition).includes('s1::alice'), JSON.stringify(request.condition));
  denied(() => update.request(ctx(apiKey, { args: { input: { id: 'n1', title: 'new' } } })));
  const admin = update.request(ctx(bob, { args: { input: { id: 'n1', title: 'new' } } }));
  assert.ok(!JSON.stringify(admin.condition).includes('owner'), JSON.stringify(admin.condition));
  const remove = await load('api-auth-rules', 'Mutation.deleteNote.js');
  // editors may update but not delete
  assert.ok(!JSON.stringify(remove.request(ctx(carol, { args: { input: { id: 'n1' } } })).condition).includes('editors'));
});

test('subscriptions deliver only the caller\'s events', async () => {
  const r = await load('api-auth-rules', 'Subscription.onCreateNote.js');
  r.response(ctx(alice, { args: {} }));
  assert.ok(JSON.stringify(state.subscriptionFilter).includes('s1::alice'), JSON.stringify(state.subscriptionFilter));
  denied(() => r.response(ctx(alice, { args: { owner: 's2::bob' } })));
  r.response(ctx(apiKey, { args: {} }));
  assert.equal(state.subscriptionFilter, null);
});

test('a field with its own rules is read only by its owner', async () => {
  const r = await load('api-auth-rules', 'Note.secret.js');
  const source = { id: 'n1', owner: 's1::alice', secret: 'x' };
  assert.equal(r.response(ctx(alice, { source })), 'x');
  denied(() => r.response(ctx(apiKey, { source })));
});

test('dynamic groups, IAM and the sub claim on comments', async () => {
  const r = await load('api-auth-rules', 'Query.getComment.js');
  const comment = { id: 'c1', owner: 's9', team: ['red'] };
  assert.deepEqual(r.response(ctx(carol, { result: comment })), comment);
  assert.deepEqual(r.response(ctx(iamUser, { result: comment })), comment);
  denied(() => r.request(ctx(iamGuest, { args: { id: 'c1' } })));
  denied(() => r.response(ctx(alice, { result: comment })));
  assert.deepEqual(r.response(ctx(alice, { result: { ...comment, owner: 's1' } })).id, 'c1');
});

test('without @auth a model follows the global rule: API key holders only', async () => {
  const r = await load('api-keys-and-indexes', 'Query.listOrders.js');
  assert.equal(r.request(ctx(apiKey)).operation, 'Scan');
  denied(() => r.request(ctx(alice)));
});

test('a @hasOne field reads the related item with its rules, by the foreign key', async () => {
  const r = await load('api-auth-rules', 'Note.profile.js');
  const request = r.request(ctx(alice, { source: { id: 'n1', noteProfileId: 'p1' } }));
  assert.deepEqual(request.key, { id: 'p1' });
  assert.equal(r.response(ctx(alice, { result: { id: 'p1', owner: 's1::alice' } })).id, 'p1');
  denied(() => r.response(ctx(alice, { result: { id: 'p1', owner: 's2::bob' } })));
});

// The api-relations schema: relations with arguments, composite keys, search.
test('a composite sort key is queried by its joined value', async () => {
  const list = await load('api-relations', 'Query.listTracks.js');
  const partial = list.request(ctx(apiKey, { args: { classId: 'c1', userIdDay: { eq: { userId: 'u1' } } } }));
  assert.equal(partial.operation, 'Query');
  assert.equal(partial.query.expression, '#pk = :pk AND begins_with(#sk, :sk)');
  assert.deepEqual(partial.query.expressionNames, { '#pk': 'classId', '#sk': 'userId#day' });
  assert.deepEqual(partial.query.expressionValues[':sk'], { S: 'u1' });
  const between = list.request(ctx(apiKey, { args: { classId: 'c1', userIdDay: { between: [{ userId: 'u1', day: 1 }, { userId: 'u1', day: 9 }] } } }));
  assert.equal(between.query.expression, '#pk = :pk AND #sk BETWEEN :sk0 AND :sk1');
  assert.deepEqual(between.query.expressionValues[':sk1'], { S: 'u1#9' });
  const everything = list.request(ctx(apiKey, { args: { classId: 'c1' } }));
  assert.equal(everything.query.expression, '#pk = :pk');

  const create = await load('api-relations', 'Mutation.createTrack.js');
  const put = create.request(ctx(apiKey, { args: { input: { classId: 'c1', userId: 'u1', day: 3, status: 'open' } } }));
  assert.deepEqual(put.key, { classId: 'c1', 'userId#day': 'u1#3' });
  assert.equal(put.item['note#rank'], undefined);
  const indexed = create.request(ctx(apiKey, { args: { input: { classId: 'c1', userId: 'u1', day: 3, status: 'open', note: 'n', rank: 2 } } }));
  assert.equal(indexed.item['note#rank'], 'n#2');

  const update = await load('api-relations', 'Mutation.updateTrack.js');
  assert.throws(() => update.request(ctx(apiKey, { args: { input: { classId: 'c1', userId: 'u1', day: 3, note: 'x' } } })), /give all of them or none/);
  const both = update.request(ctx(apiKey, { args: { input: { classId: 'c1', userId: 'u1', day: 3, note: 'x', rank: 1 } } }));
  assert.equal(both.update['note#rank'], 'x#1');
  assert.deepEqual(both.key, { classId: 'c1', 'userId#day': 'u1#3' });
});

test('relations with arguments read the related items by the named fields', async () => {
  const classes = await load('api-relations', 'Course.classes.js');
  const query = classes.request(ctx(apiKey, { source: { id: 'course-1' }, args: { startsOn: { ge: '2026-01-01' } } }));
  assert.equal(query.index, 'byCourse');
  assert.deepEqual(query.query, { courseId: { eq: 'course-1' }, startsOn: { ge: '2026-01-01' } });

  const course = await load('api-relations', 'Class.course.js');
  assert.deepEqual(course.request(ctx(apiKey, { source: { courseId: 'course-1' } })).key, { id: 'course-1' });

  const single = await load('api-relations', 'Primary.single.js');
  const first = single.request(ctx(apiKey, { source: { id: 'p1' } }));
  assert.equal(first.index, 'gsi-Primary.single');
  assert.equal(first.limit, 1);
  assert.deepEqual(single.response(ctx(apiKey, { result: { items: [{ id: 's1', primaryId: 'p1' }] } })), { id: 's1', primaryId: 'p1' });
  assert.equal(single.response(ctx(apiKey, { result: { items: [] } })), null);

  const tags = await load('api-relations', 'Post.tags.js');
  assert.equal(tags.request(ctx(apiKey, { source: { id: 'post-1' } })).index, 'byPost');
});

test('search builds an OpenSearch query and reads hits, pages and aggregations back', async () => {
  const search = await load('api-relations', 'Query.searchBooks.js');
  const request = search.request(ctx(apiKey, { args: { filter: { title: { match: 'dune' } }, sort: [{ field: 'title', direction: 'asc' }], limit: 2, aggregates: [{ name: 'genres', type: 'terms', field: 'genre' }, { name: 'avgPages', type: 'avg', field: 'pages' }] } }));
  assert.equal(request.path, '/book/_search');
  // the model's key breaks ties, so pages skip nothing
  assert.deepEqual(request.params.body.sort, [{ 'title.keyword': { order: 'asc' } }, { 'id.keyword': { order: 'asc' } }]);
  assert.deepEqual(request.params.body.query, { dsl: { title: { match: 'dune' } } });
  assert.deepEqual(request.params.body.aggs, { genres: { terms: { field: 'genre.keyword' } }, avgPages: { avg: { field: 'pages' } } });
  const result = {
    hits: { total: { value: 7 }, hits: [{ _source: { id: 'b1' }, sort: ['a'] }, { _source: { id: 'b2' }, sort: ['b'] }] },
    aggregations: { genres: { buckets: [{ key: 'FICTION', doc_count: 5 }] }, avgPages: { value: 312.5 } },
  };
  const page = search.response(ctx(apiKey, { args: { limit: 2 }, result }));
  assert.deepEqual(page.items, [{ id: 'b1' }, { id: 'b2' }]);
  assert.equal(page.total, 7);
  assert.deepEqual(JSON.parse(Buffer.from(page.nextToken, 'base64').toString()), ['b']);
  assert.deepEqual(page.aggregateItems, [
    { name: 'genres', result: { __typename: 'SearchableAggregateBucketResult', buckets: [{ key: 'FICTION', doc_count: 5 }] } },
    { name: 'avgPages', result: { __typename: 'SearchableAggregateScalarResult', value: 312.5 } },
  ]);
  const next = search.request(ctx(apiKey, { args: { nextToken: page.nextToken } }));
  assert.deepEqual(next.params.body.search_after, ['b']);
});

// Issue 16's scenarios, on the generated resolvers alone (tests/authorization.rs
// runs them in the sandbox with real users).
test('a field only its owner may read is left out of mutation results, which subscribers receive', async () => {
  const field = await load('api-auth-rules', 'Note.secret.js');
  const source = { id: 'n1', owner: 's1::alice', secret: 'x' };
  assert.equal(field.response(ctx(alice, { source })), 'x');
  assert.equal(field.response(ctx(alice, { source: { ...source, __operation: 'Mutation' } })), null);
  const create = await load('api-auth-rules', 'Mutation.createNote.js');
  const marked = create.response(ctx(alice, { result: { id: 'n1', owner: 's1::alice', secret: 'x' } }));
  assert.equal(marked.__operation, 'Mutation');
  // a related item readers of a Note may not all read is left out too
  const profile = await load('api-auth-rules', 'Note.profile.js');
  try {
    profile.request(ctx(alice, { source: { id: 'n1', noteProfileId: 'p1', __operation: 'Mutation' } }));
    assert.fail('the profile was read for a mutation result');
  } catch (e) {
    assert.equal(e.constructor.name, 'EarlyReturn');
    assert.equal(e.value, null);
  }
});

test('a filter on a field the caller may not read tests only the items where they may', async () => {
  const list = await load('api-auth-rules', 'Query.listNotes.js');
  const probe = { or: [{ secret: { beginsWith: '07' } }, { not: { secret: { eq: 'x' } } }] };
  const narrowed = JSON.stringify(list.request(ctx(carol, { args: { filter: probe } })).filter);
  // each test of `secret` is joined with "carol owns it", the field's own rule
  assert.equal(narrowed.split('s3::carol').length - 1 >= 2, true, narrowed);
  // API key holders read Notes but never a secret: refused, naming the field
  assert.throws(() => list.request(ctx(apiKey, { args: { filter: probe } })), /Unauthorized: Not Authorized to filter on Note.secret/);
  // the Admin group's rule does not reach the field either: narrowed to its own
  assert.ok(JSON.stringify(list.request(ctx(bob, { args: { filter: probe } })).filter).includes('s2::bob'));
  // the same in a write's condition
  const update = await load('api-auth-rules', 'Mutation.updateNote.js');
  const condition = JSON.stringify(update.request(ctx(carol, { args: { input: { id: 'n1', title: 't' }, condition: { secret: { gt: 'a' } } } })).condition);
  assert.ok(condition.split('s3::carol').length - 1 >= 2, condition);
  // and a subscription may not filter on it at all
  const subscription = await load('api-auth-rules', 'Subscription.onCreateNote.js');
  assert.throws(() => subscription.response(ctx(bob, { args: { filter: { and: [{ secret: { eq: 'x' } }] } } })), /Not Authorized to filter on Note.secret/);
  // nesting is bounded
  let deep = { title: { eq: 't' } };
  for (let i = 0; i < 20; i += 1) deep = { and: [deep] };
  assert.throws(() => list.request(ctx(bob, { args: { filter: deep } })), /nested more than 16 levels/);
});

test('who holds a note changes only under a rule that may delete it, and only to fewer holders', async () => {
  const update = await load('api-auth-rules', 'Mutation.updateNote.js');
  const condition = (caller, input) => JSON.stringify(update.request(ctx(caller, { args: { input: { id: 'n1', ...input } } })).condition);
  // an editor (update, read) may send the holders only as they are stored
  const takeover = JSON.parse(condition(carol, { owner: 's3::carol' })).and;
  assert.ok(takeover.some((c) => JSON.stringify(c) === JSON.stringify({ owner: { eq: 's3::carol' } })), JSON.stringify(takeover));
  const share = condition(carol, { editors: ['carol', 'eve'] });
  assert.ok(share.includes('"editors":{"eq":["carol","eve"]}'), share);
  // the owner may remove editors (the stored ones must hold every new one), not add a new owner
  const narrowed = condition(alice, { editors: [] });
  assert.ok(narrowed.includes('s1::alice'), narrowed);
  const planted = condition(alice, { owner: 's2::bob' });
  assert.ok(planted.includes('{"owner":{"eq":"s2::bob"}}'), planted);
});

test("a user name written as another user's owner value is not that owner", async () => {
  const r = await load('api-auth-rules', 'Query.getNote.js');
  const note = { id: 'n1', owner: 's1::alice', editors: [] };
  const mallory = { authType: 'User Pool Authorization', identity: { sub: 's9', username: 's1::alice', claims: { sub: 's9', 'cognito:username': 's1::alice' } } };
  denied(() => r.response(ctx(mallory, { result: note })));
  // a plain user name still matches an owner stored by name
  assert.equal(r.response(ctx(alice, { result: { ...note, owner: 'alice' } })).id, 'n1');
});
