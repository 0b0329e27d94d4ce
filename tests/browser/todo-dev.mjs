// Drives the todo starter in headless Chromium (Debian's package, through
// playwright-core) against the local backend of `hoist dev`: sign up in the
// Amplify Authenticator, confirm with the code the sandbox printed, add,
// complete and delete todos; a second window signed in as the same user sees
// a new todo through its subscription within 2 s; a file uploaded (1 MB) is
// listed and downloads byte-identical through its presigned link; a second
// user sees none of the first user's todos or files; deleting the file
// empties the list.
//
//   node todo-dev.mjs URL SCREENSHOT.png [web|native]
//
// `web` (the default) is the React and Vue starters with Amplify's web
// Authenticator; `native` is the React Native starter's web export (Expo,
// react-native-web) with Amplify's React Native Authenticator, whose page is
// made of react-native-web's elements (switches for checkboxes, tabs, labelled
// text inputs), and whose files page uploads text notes rather than picked
// files. The checks are the same.
//
// The confirmation code comes from the sandbox's output: the script prints
// `CODE? <email>` and reads the code from stdin. Prints a JSON report.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const [url, shot, flavor = 'web'] = process.argv.slice(2);
assert.ok(['web', 'native'].includes(flavor), `unknown flavor ${flavor}`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const askCode = async (email) => {
  console.log(`CODE? ${email}`);
  const { value } = await lines.next();
  return String(value).trim();
};
const report = { checks: [] };
const check = (name) => report.checks.push(name);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
});
const errors = [];
const consoleErrors = [];
const watch = (page) => {
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
};

// Where the two kinds of page differ: how a thing is found and done.
const flavors = {
  web: {
    async signUp(page, email, password) {
      await page.getByRole('tab', { name: /create account/i }).click({ timeout: 60000 });
      await page.locator('input[name="email"]').fill(email);
      await page.locator('input[name="password"]').fill(password);
      await page.locator('input[name="confirm_password"]').fill(password);
      await page.getByRole('button', { name: /create account/i }).click();
      return page.locator('input[name="confirmation_code"]');
    },
    done: (page, name) => page.locator('li', { hasText: name }).locator('input[type="checkbox"]'),
    todoNames: async (page) =>
      (await page.locator('section[aria-label="todos"] li').allInnerTexts()).map((t) => t.trim()).filter(Boolean),
    openFiles: (page) => page.getByRole('button', { name: 'Files', exact: true }).click(),
    // resolves with the time the upload was sent
    async upload(page, name, bytes) {
      const sent = Date.now();
      await page.getByLabel('Upload a file').setInputFiles({ name, mimeType: 'text/plain', buffer: bytes });
      return sent;
    },
    file: (page, name) => page.locator('section[aria-label="files"] li', { hasText: name }),
    download: (page, name) => flavors.web.file(page, name).getByRole('button', { name: 'Download' }),
    fileNames: (page) => page.locator('section[aria-label="files"] li').allInnerTexts(),
  },
  native: {
    async signUp(page, email, password) {
      // the sign-in screen links to sign-up with a button, not a tab
      await page.getByRole('button', { name: 'Create Account', exact: true }).click({ timeout: 60000 });
      await page.getByPlaceholder('Enter your Email').fill(email);
      await page.getByPlaceholder('Enter your Password').fill(password);
      await page.getByPlaceholder('Please confirm your Password').fill(password);
      await page.getByRole('button', { name: 'Create Account', exact: true }).click();
      return page.getByPlaceholder('Enter your code');
    },
    done: (page, name) => page.getByRole('switch', { name: `Done: ${name}` }),
    todoNames: (page) =>
      page.getByRole('switch').evaluateAll((boxes) => boxes.map((b) => b.getAttribute('aria-label').replace(/^Done: /, ''))),
    openFiles: (page) => page.getByRole('tab', { name: 'Files', exact: true }).click(),
    async upload(page, name, bytes) {
      // a text note: its name (the page adds .txt) and its text
      await page.getByLabel('Note name').fill(name.replace(/\.txt$/, ''));
      await page.getByLabel('Note text').fill(bytes.toString('utf8'));
      const sent = Date.now();
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      return sent;
    },
    file: (page, name) => page.getByRole('button', { name: `Download ${name}` }),
    download: (page, name) => page.getByRole('button', { name: `Download ${name}` }),
    fileNames: (page) =>
      page.getByRole('button', { name: /^Download / }).evaluateAll((links) => links.map((l) => l.getAttribute('aria-label'))),
  },
};
const ui = flavors[flavor];

async function signUp(page, email, password) {
  // a React Native dev server bundles the app at its first request: minutes on a slow machine
  await page.goto(url, { waitUntil: 'load', timeout: 240000 });
  const codeField = await ui.signUp(page, email, password);
  await codeField.waitFor({ state: 'visible', timeout: 20000 });
  await codeField.fill(await askCode(email));
  await page.getByRole('button', { name: /^confirm$/i }).click();
  // signed in automatically after confirming
  await page.getByLabel('New todo').waitFor({ timeout: 30000 });
}

// A file's bytes: random, and text the native page's note can hold.
const fileBytes = (size) => Buffer.from(randomBytes((size * 3) / 4).toString('base64'));

let failed = false;
try {
  const ada = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await ada.newPage();
  watch(page);
  await signUp(page, 'ada@example.com', 'Secret-123!');
  check('sign up, confirm with the printed code, signed in');

  const input = page.getByLabel('New todo');
  await input.fill('Buy milk');
  await input.press('Enter');
  await page.getByText('Buy milk').waitFor({ timeout: 10000 });
  check('add a todo');

  // a second window of the same user: the new todo arrives by subscription
  const other = await ada.newPage();
  watch(other);
  await other.goto(url, { waitUntil: 'load', timeout: 60000 });
  await other.getByText('Buy milk').waitFor({ timeout: 20000 });
  await other.waitForTimeout(1500); // let its subscriptions open
  await input.fill('Walk the dog');
  const sent = Date.now();
  await input.press('Enter');
  await other.getByText('Walk the dog').waitFor({ timeout: 2000 });
  report.subscriptionMs = Date.now() - sent;
  check('a second window sees the new todo within 2 s');

  // the box is checked once the update comes back (a controlled input)
  await ui.done(page, 'Buy milk').click();
  for (const end = Date.now() + 10000; !(await ui.done(page, 'Buy milk').isChecked()); ) {
    assert.ok(Date.now() < end, 'the todo was not shown done within 10 s');
    await page.waitForTimeout(100);
  }
  await page.reload({ waitUntil: 'load' });
  await page.getByText('Walk the dog').waitFor({ timeout: 20000 });
  assert.equal(await ui.done(page, 'Buy milk').isChecked(), true);
  await page.getByRole('button', { name: 'Delete Walk the dog' }).click();
  await page.getByText('Walk the dog').waitFor({ state: 'detached', timeout: 10000 });
  check('complete and delete, kept across a reload');

  // files: the sandbox's S3, through aws-amplify's storage as the page uses it
  await ui.openFiles(page);
  await page.getByText('No files yet.').waitFor({ timeout: 20000 });
  const bytes = fileBytes(1024 * 1024);
  const uploadStarted = await ui.upload(page, 'notes.txt', bytes);
  await ui.file(page, 'notes.txt').waitFor({ timeout: 20000 });
  report.uploadAndListMs = Date.now() - uploadStarted;
  check('upload a 1 MB file; it is listed');
  // the link opens in a new tab (which may turn into a download): its request is the link
  const [opened] = await Promise.all([
    ada.waitForEvent('request', { predicate: (r) => r.url().includes('X-Amz-Signature='), timeout: 20000 }),
    ui.download(page, 'notes.txt').click(),
  ]);
  const link = opened.url();
  const downloaded = await (await ada.request.get(link)).body();
  assert.ok(downloaded.equals(bytes), `downloaded ${downloaded.length} bytes, not the ${bytes.length} uploaded`);
  const forged = await ada.request.get(link.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`));
  assert.equal(forged.status(), 403);
  check('download it byte-identical through its presigned link; a forged link is refused');

  const bob = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const bobPage = await bob.newPage();
  watch(bobPage);
  await signUp(bobPage, 'bob@example.com', 'Secret-456!');
  // his own todo shows, so the list has loaded; ada's never do
  const bobInput = bobPage.getByLabel('New todo');
  await bobInput.fill("Bob's errand");
  await bobInput.press('Enter');
  await bobPage.getByText("Bob's errand").waitFor({ timeout: 10000 });
  await bobPage.reload({ waitUntil: 'load' });
  await bobPage.getByText("Bob's errand").waitFor({ timeout: 20000 });
  const names = await ui.todoNames(bobPage);
  assert.ok(names.every((n) => n.includes("Bob's errand")), JSON.stringify(names));
  check("another user sees none of ada's todos");
  await ui.openFiles(bobPage);
  await bobPage.getByText('No files yet.').waitFor({ timeout: 20000 });
  await ui.upload(bobPage, 'bob.txt', Buffer.from('mine'));
  await ui.file(bobPage, 'bob.txt').waitFor({ timeout: 20000 });
  const bobFiles = await ui.fileNames(bobPage);
  assert.ok(bobFiles.every((f) => !f.includes('notes.txt')), JSON.stringify(bobFiles));
  check("another user's files page lists only his own files");

  await page.getByRole('button', { name: 'Delete notes.txt' }).click();
  await page.getByText('No files yet.').waitFor({ timeout: 20000 });
  assert.equal((await ada.request.get(link)).status(), 404);
  check('delete the file');
  await page.screenshot({ path: shot, fullPage: true });
} catch (e) {
  failed = true;
  console.error(`failed: ${e.stack ?? e.message}`);
  if (errors.length) console.error(`page errors:\n  ${errors.join('\n  ')}`);
  if (consoleErrors.length) console.error(`console errors:\n  ${consoleErrors.join('\n  ')}`);
  for (const context of browser.contexts()) {
    for (const p of context.pages()) {
      const alerts = await p.locator('[role="alert"]').allInnerTexts().catch(() => []);
      if (alerts.length) console.error(`alerts on ${p.url()}:\n  ${alerts.join('\n  ')}`);
    }
  }
} finally {
  await browser.close();
}
report.pageErrors = errors;
console.log(JSON.stringify(report));
process.exit(failed ? 1 : 0);
