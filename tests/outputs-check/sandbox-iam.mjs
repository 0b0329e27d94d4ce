// Drives a running `hoist sandbox` with the real aws-amplify v6 client in the
// AWS_IAM mode: Amplify signs every request (and the real-time connection and
// subscription) with SigV4, using credentials `hoist sandbox credentials --json`
// printed (argv[3], argv[4]: a signed-in user's, a guest's), given to Amplify
// through its documented custom credentials provider. Outputs: argv[2].
// Checks: the user creates and reads; the guest reads but is refused a create;
// an IAM subscription receives another client's create. Prints a JSON report.
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
const asCredentials = (printed) => {
  const { Credentials: c, IdentityId } = JSON.parse(printed);
  return {
    credentials: {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretKey,
      sessionToken: c.SessionToken,
      expiration: new Date(c.Expiration * 1000),
    },
    identityId: IdentityId,
  };
};
const user = asCredentials(process.argv[3]);
const guest = asCredentials(process.argv[4]);
let current = user;
Amplify.configure(outputs, {
  Auth: {
    credentialsProvider: {
      getCredentialsAndIdentityId: async () => current,
      clearCredentialsAndIdentityId: () => {},
    },
  },
});
const client = generateClient({ authMode: 'iam' });
const report = { checks: [] };
const check = (name) => report.checks.push(name);
const noErrors = (result, what) => {
  assert.equal(result.errors, undefined, `${what}: ${JSON.stringify(result.errors)}`);
  return result.data;
};

const note = noErrors(await client.models.Note.create({ text: 'signed' }), 'create as user');
assert.equal(note.text, 'signed');
assert.equal(noErrors(await client.models.Note.get({ id: note.id }), 'get as user').text, 'signed');
check('user creates and reads');

// a subscription over the signed real-time connection
const received = [];
const subscription = client.models.Note.onCreate().subscribe({
  next: (n) => received.push(n.text),
  error: (e) => received.push(`error: ${JSON.stringify(e)}`),
});
for (let i = 0; i < 40 && received.length === 0; i++) {
  noErrors(await client.models.Note.create({ text: `live-${i}` }), 'create while subscribed');
  await new Promise((r) => setTimeout(r, 250));
}
subscription.unsubscribe();
assert.ok(received.length > 0 && received[0].startsWith('live-'), `received ${JSON.stringify(received)}`);
check('subscription');

current = guest;
const listed = noErrors(await client.models.Note.list(), 'list as guest');
assert.ok(listed.some((n) => n.text === 'signed'));
const refused = await client.models.Note.create({ text: 'guest' });
assert.equal(refused.data, null);
assert.equal(refused.errors[0].errorType, 'Unauthorized');
check('guest reads, may not create');

console.log(JSON.stringify(report));
process.exit(0);
