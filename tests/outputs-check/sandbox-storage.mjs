// Drives the sandbox's S3 with the real aws-amplify v6 storage library,
// configured by the generated frontend's own `backend.ts` (transpiled here
// with TypeScript, as the app's bundler would): its identity-pool
// credentials provider and its redirect of S3 requests to the sandbox.
//
//   node sandbox-storage.mjs BACKEND_TS OUTPUTS_JSON WORK_DIR
//
// Two users sign up (the script prints `CODE? <email>` and reads the code
// the sandbox printed from stdin). Ada uploads a 6 MB file (a multipart
// upload, as aws-amplify sends anything over 5 MiB) and a small one, lists
// her folder, downloads both byte-identical (downloadData and a presigned
// link), reads their properties, copies one and removes it. Bob reads, lists,
// overwrites and removes none of her files. Prints a JSON report; exits
// non-zero on a failed check.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';

// Node 20 has Blob but not the browser's FileReader, which aws-amplify's
// client-side upload uses to read a Blob (as `ws` gives the other scripts a WebSocket)
globalThis.FileReader ??= class FileReader {
  readAsArrayBuffer(blob) {
    blob.arrayBuffer().then(
      (result) => {
        this.result = result;
        this.onload?.();
      },
      (error) => {
        this.error = error;
        this.onerror?.();
      },
    );
  }
};

const [backendTs, outputsJson, work] = process.argv.slice(2);
mkdirSync(work, { recursive: true });
copyFileSync(outputsJson, join(work, 'amplify_outputs.json'));
const source = readFileSync(backendTs, 'utf8').replace(
  "import outputs from './amplify_outputs.json';",
  "import outputs from './amplify_outputs.json' with { type: 'json' };",
);
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
});
writeFileSync(join(work, 'backend.mjs'), outputText);
const { configureBackend, reachableUrl } = await import(join(work, 'backend.mjs'));
const auth = await import('aws-amplify/auth');
const storage = await import('aws-amplify/storage');

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const report = { checks: [] };
const check = (name) => report.checks.push(name);
const refusedWith = async (promise, name) => {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    return true;
  });
};

assert.deepEqual(configureBackend(), ['auth', 'data', 'storage']);

async function signUpAndIn(email, password) {
  await auth.signUp({ username: email, password, options: { userAttributes: { email } } });
  console.log(`CODE? ${email}`);
  const { value } = await lines.next();
  await auth.confirmSignUp({ username: email, confirmationCode: String(value).trim() });
  const signedIn = await auth.signIn({ username: email, password });
  assert.equal(signedIn.isSignedIn, true);
  return (await auth.fetchAuthSession()).identityId;
}

const bytesOf = async (result) => Buffer.from(await (await result).body.blob().then((b) => b.arrayBuffer()));

const ada = await signUpAndIn('ada@example.com', 'Secret-123!');
const folder = `private/${ada}/`;
const big = randomBytes(6 * 1024 * 1024);
const small = Buffer.from('a small note, ünïcode included');
const uploaded = await storage.uploadData({ path: `${folder}big.bin`, data: big }).result;
assert.equal(uploaded.path, `${folder}big.bin`);
// a multipart upload's ETag is the parts' digest and their number
const bigProperties = await storage.getProperties({ path: `${folder}big.bin` });
assert.match(bigProperties.eTag, /-2"$/);
await storage.uploadData({
  path: `${folder}note.txt`,
  data: small,
  options: { contentType: 'text/plain; charset=utf-8', metadata: { kind: 'note' } },
}).result;
check('upload a 6 MB file (multipart) and a small one');

const { items } = await storage.list({ path: folder, options: { listAll: true } });
assert.deepEqual(items.map((i) => i.path).sort(), [`${folder}big.bin`, `${folder}note.txt`]);
assert.equal(items.find((i) => i.path.endsWith('big.bin')).size, big.length);
const page = await storage.list({ path: folder, options: { pageSize: 1 } });
assert.equal(page.items.length, 1);
assert.ok(page.nextToken);
check('list her folder, whole and by pages');

assert.ok((await bytesOf(storage.downloadData({ path: `${folder}big.bin` }).result)).equals(big));
assert.ok((await bytesOf(storage.downloadData({ path: `${folder}note.txt` }).result)).equals(small));
const { url } = await storage.getUrl({ path: `${folder}note.txt`, options: { validateObjectExistence: true } });
const link = reachableUrl(url);
assert.notEqual(link, url.toString(), 'the link is the sandbox\'s');
const fetched = await fetch(link);
assert.equal(fetched.status, 200);
assert.ok(Buffer.from(await fetched.arrayBuffer()).equals(small));
check('download both byte-identical, by downloadData and by a presigned link');

const properties = await storage.getProperties({ path: `${folder}note.txt` });
assert.equal(properties.contentType, 'text/plain; charset=utf-8');
assert.equal(properties.size, small.length);
assert.deepEqual(properties.metadata, { kind: 'note' });
await storage.copy({ source: { path: `${folder}note.txt` }, destination: { path: `${folder}copy.txt` } });
assert.ok((await bytesOf(storage.downloadData({ path: `${folder}copy.txt` }).result)).equals(small));
await storage.remove({ path: `${folder}copy.txt` });
await refusedWith(storage.getProperties({ path: `${folder}copy.txt` }), 'NotFound');
check('properties, copy and remove');
await auth.signOut();

await signUpAndIn('bob@example.com', 'Secret-456!');
await refusedWith(storage.downloadData({ path: `${folder}note.txt` }).result, 'AccessDenied');
// a HEAD's error has no body: aws-amplify names it by its status, as with S3
await refusedWith(storage.getProperties({ path: `${folder}note.txt` }), '403');
await refusedWith(storage.list({ path: folder }), 'AccessDenied');
await refusedWith(storage.uploadData({ path: `${folder}note.txt`, data: 'overwritten' }).result, 'AccessDenied');
await refusedWith(storage.remove({ path: `${folder}note.txt` }), 'AccessDenied');
check("another user cannot read, list, overwrite or remove her files");
await auth.signOut();

console.log(JSON.stringify(report));
process.exit(0);
