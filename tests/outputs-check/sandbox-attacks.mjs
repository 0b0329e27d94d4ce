// Issue 16's attack suite: two real users of the sandbox's user pool (signed
// in by the real aws-amplify client, SRP) try to reach each other's data
// through the generated resolvers, as an attacker would: raw GraphQL over
// HTTP and the real-time endpoint, with their own tokens. Each check fails if
// the leak it names comes back.
//
//   node sandbox-attacks.mjs OUTPUTS ADA_EMAIL BOB_EMAIL PASSWORD
//
// The schema is tests/fixtures/attacks/schema.graphql. Both users exist and
// are confirmed (`hoist sandbox users add`). Prints a JSON report; exits
// non-zero on a failed check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const { Amplify } = await import('aws-amplify');
const { parseAmplifyConfig } = await import('aws-amplify/utils');
const auth = await import('aws-amplify/auth');

const [outputsPath, adaEmail, bobEmail, password] = process.argv.slice(2);
const outputs = JSON.parse(readFileSync(outputsPath, 'utf8'));
const config = parseAmplifyConfig(outputs);
config.Auth.Cognito.userPoolEndpoint = outputs.custom.hoist_sandbox.user_pool_endpoint;
delete config.Auth.Cognito.identityPoolId;
Amplify.configure(config);
const endpoint = outputs.data.url;

const report = { checks: [] };
const check = (name) => report.checks.push(name);

/** A signed-in user: their access token and their identity as owner fields hold it. */
async function signIn(email) {
  const result = await auth.signIn({ username: email, password });
  assert.equal(result.isSignedIn, true, JSON.stringify(result));
  const { tokens } = await auth.fetchAuthSession();
  const claims = tokens.accessToken.payload;
  await auth.signOut();
  return { token: tokens.accessToken.toString(), id: `${claims.sub}::${claims.username}` };
}
const ada = await signIn(adaEmail);
const bob = await signIn(bobEmail);

async function gql(user, query, variables = {}) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: user.token },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}
const ok = (body, what) => {
  assert.equal(body.errors, undefined, `${what}: ${JSON.stringify(body.errors)}`);
  return body.data;
};
// refused by the rules: not by a malformed request, which would prove nothing
const refused = (body, what) => {
  assert.ok(body.errors?.length > 0, `${what} was not refused: ${JSON.stringify(body)}`);
  for (const e of body.errors) {
    assert.match(String(e.errorType), /Unauthorized|ConditionalCheckFailed/, `${what}: ${JSON.stringify(e)}`);
  }
  return body.errors;
};

/** A subscription on the real-time endpoint (AppSync's protocol): its events as they come. */
function subscribe(user, query, variables = {}) {
  const host = new URL(endpoint).host;
  const header = Buffer.from(JSON.stringify({ host, Authorization: user.token })).toString('base64');
  const url = `${endpoint.replace(/^http/, 'ws')}/realtime?header=${header}&payload=e30=`;
  const socket = new WebSocket(url, ['graphql-ws']);
  const events = [];
  const errors = [];
  const started = new Promise((resolve, reject) => {
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (raw) => {
      const message = JSON.parse(raw);
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({
          id: '1',
          type: 'start',
          payload: { data: JSON.stringify({ query, variables }), extensions: { authorization: { host, Authorization: user.token } } },
        }));
      } else if (message.type === 'start_ack') {
        resolve();
      } else if (message.type === 'data') {
        events.push(message.payload);
      } else if (message.type === 'error') {
        errors.push(...(message.payload?.errors ?? [message.payload]));
        resolve();
      }
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`the subscription was neither started nor refused: ${query}`)), 10000);
  });
  return { started, events, errors, close: () => socket.close() };
}
const settle = () => new Promise((r) => setTimeout(r, 300));

let failed = false;
try {
  const secretFields = 'id note ssn owner';
  // 1. a field only the owner may read never reaches other subscribers
  const watch = subscribe(bob, `subscription { onCreateSecret { ${secretFields} } }`);
  await watch.started;
  assert.deepEqual(watch.errors, []);
  const created = ok(await gql(ada, `mutation($input: CreateSecretInput!) { createSecret(input: $input) { ${secretFields} } }`,
    { input: { note: 'hello', ssn: '078-05-1120' } }), 'ada creates a secret').createSecret;
  await settle();
  watch.close();
  assert.equal(watch.events.length, 1, JSON.stringify(watch.events));
  assert.equal(watch.events[0].data.onCreateSecret.note, 'hello');
  assert.equal(watch.events[0].data.onCreateSecret.ssn, null, 'the ssn reached another subscriber');
  assert.equal(created.ssn, null, 'a mutation result carries the ssn every subscriber receives');
  const mine = ok(await gql(ada, `query($id: ID!) { getSecret(id: $id) { ${secretFields} } }`, { id: created.id }), 'ada reads her secret');
  assert.equal(mine.getSecret.ssn, '078-05-1120');
  const theirs = await gql(bob, `query($id: ID!) { getSecret(id: $id) { ${secretFields} } }`, { id: created.id });
  assert.equal(theirs.data.getSecret.note, 'hello');
  assert.equal(theirs.data.getSecret.ssn, null);
  refused(theirs, "bob reads ada's ssn");
  check("an owner-only field reaches neither another user's subscription nor their query");

  // 2. filters on a field the caller may not read match nothing of others'
  ok(await gql(ada, 'mutation($input: CreateSecretInput!) { createSecret(input: $input) { id } }',
    { input: { note: 'other', ssn: '999-99-9999' } }), 'ada creates a second secret');
  const probe = async (user, filter) => (ok(await gql(user,
    'query($filter: ModelSecretFilterInput) { listSecrets(filter: $filter, limit: 1000) { items { id note owner } } }', { filter }),
  'list with a filter').listSecrets.items.filter((s) => s.owner === ada.id).map((s) => s.note).sort());
  assert.deepEqual(await probe(ada, { ssn: { beginsWith: '078' } }), ['hello'], 'an owner filters on her own field');
  assert.deepEqual(await probe(bob, { ssn: { beginsWith: '078' } }), [], "bob's filter on ada's ssn matched");
  assert.deepEqual(await probe(bob, { ssn: { beginsWith: '999' } }), []);
  // negated, the filter treats both of ada's secrets alike: it says nothing of their ssn
  assert.deepEqual(await probe(bob, { not: { ssn: { beginsWith: '078' } } }), ['hello', 'other']);
  assert.deepEqual(await probe(bob, { or: [{ ssn: { eq: '078-05-1120' } }, { note: { eq: 'nothing' } }] }), []);
  // a key is applied before any filter and before `limit` (so `nextToken` would tell a guess
  // right): querying by a field not everyone may read is refused
  refused(await gql(bob, 'query { secretsBySsn(ssn: "078-05-1120", limit: 1) { items { id } nextToken } }'), 'bob queries the ssn index');
  const filtered = subscribe(bob, 'subscription($filter: ModelSubscriptionSecretFilterInput) { onCreateSecret(filter: $filter) { id } }',
    { filter: { ssn: { beginsWith: '078' } } });
  await filtered.started;
  filtered.close();
  assert.ok(filtered.errors.some((e) => /Unauthorized/.test(e.errorType)), `a subscription filtered on an owner-only field: ${JSON.stringify(filtered.errors)}`);
  check("filters, index queries and subscription filters on ada's ssn tell bob nothing");

  // 3. an editor (update only) cannot take the item over or share it
  const doc = ok(await gql(ada, 'mutation($input: CreateDocInput!) { createDoc(input: $input) { id owner editors } }',
    { input: { body: 'draft', editors: [bob.id] } }), 'ada creates a doc').createDoc;
  ok(await gql(bob, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { id } }',
    { input: { id: doc.id, body: 'edited by bob' } }), 'an editor edits the body');
  refused(await gql(bob, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { id } }',
    { input: { id: doc.id, owner: bob.id, editors: [] } }), 'an editor makes himself the owner');
  refused(await gql(bob, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { id } }',
    { input: { id: doc.id, editors: [bob.id, 'eve::eve'] } }), 'an editor shares the doc');
  refused(await gql(bob, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { id } }',
    { input: { id: doc.id, editors: [] } }), 'an editor removes the editors');
  // unchanged holders are no change
  ok(await gql(bob, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { id } }',
    { input: { id: doc.id, owner: ada.id, editors: [bob.id], body: 'again' } }), 'an editor sends the holders unchanged');
  const kept = ok(await gql(ada, 'query($id: ID!) { getDoc(id: $id) { owner editors body } }', { id: doc.id }), 'ada reads her doc').getDoc;
  assert.deepEqual(kept, { owner: ada.id, editors: [bob.id], body: 'again' });
  refused(await gql(bob, 'mutation($id: ID!) { deleteDoc(input: { id: $id }) { id } }', { id: doc.id }), 'an editor deletes');
  // a write's condition tests the stored item: on a field the editor may not read it tells nothing
  ok(await gql(ada, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { id } }',
    { input: { id: doc.id, salary: 120000 } }), 'the owner sets the salary');
  const outcome = async (condition) => {
    const body = await gql(bob, 'mutation($input: UpdateDocInput!, $condition: ModelDocConditionInput) { updateDoc(input: $input, condition: $condition) { id } }',
      { input: { id: doc.id, body: 'probe' }, condition });
    return body.errors ? body.errors.map((e) => e.errorType).join() : 'ok';
  };
  // a true and a false test of the salary answer alike, plain or negated
  assert.equal(await outcome({ salary: { gt: 100000 } }), await outcome({ salary: { lt: 100000 } }));
  assert.match(await outcome({ salary: { gt: 100000 } }), /ConditionalCheckFailed/);
  assert.equal(await outcome({ not: { salary: { gt: 100000 } } }), await outcome({ not: { salary: { lt: 100000 } } }));
  ok(await gql(ada, 'mutation($input: UpdateDocInput!, $condition: ModelDocConditionInput) { updateDoc(input: $input, condition: $condition) { id } }',
    { input: { id: doc.id, body: 'again' }, condition: { salary: { gt: 100000 } } }), "the owner's condition on her salary");
  check('an editor edits the doc but cannot take it over, share it, drop its holders or delete it');

  // 4. an owner cannot plant an item on another user
  refused(await gql(ada, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { id } }',
    { input: { id: doc.id, owner: bob.id } }), 'ada gives her doc to bob');
  refused(await gql(ada, 'mutation($input: CreateDocInput!) { createDoc(input: $input) { id } }',
    { input: { body: 'planted', owner: bob.id } }), 'ada creates a doc owned by bob');
  const bobs = ok(await gql(bob, 'query { listDocs { items { id body owner } } }'), 'bob lists his docs').listDocs.items;
  assert.ok(bobs.every((d) => d.owner !== bob.id), JSON.stringify(bobs));
  // the owner still removes editors: fewer holders
  const narrowed = ok(await gql(ada, 'mutation($input: UpdateDocInput!) { updateDoc(input: $input) { editors } }',
    { input: { id: doc.id, editors: [] } }), 'the owner removes the editors').updateDoc;
  assert.deepEqual(narrowed.editors, []);
  // nor plant an event: an alias cannot pose as the owner field in what subscribers are sent
  const adaWatch = subscribe(ada, 'subscription { onCreateDoc { id body } }');
  await adaWatch.started;
  assert.deepEqual(adaWatch.errors, []);
  ok(await gql(bob, 'mutation($input: CreateDocInput!) { createDoc(input: $input) { id owner: body } }',
    { input: { body: ada.id } }), 'bob creates a doc with an aliased body');
  ok(await gql(ada, 'mutation($input: CreateDocInput!) { createDoc(input: $input) { id body owner editors } }',
    { input: { body: 'her own' } }), 'ada creates a doc');
  await settle();
  adaWatch.close();
  assert.deepEqual(adaWatch.events.map((e) => e.data.onCreateDoc.body), ['her own'], JSON.stringify(adaWatch.events));
  check('an owner cannot give an item to another user, nor plant an event, but may remove its editors');
} catch (e) {
  failed = true;
  console.error(`failed: ${e.stack ?? e.message}`);
}
console.log(JSON.stringify(report));
process.exit(failed ? 1 : 0);
