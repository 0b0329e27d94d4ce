// Serve a built frontend (its dist/ folder) on 127.0.0.1 and check, in the
// system's headless Chromium, that the Amplify Authenticator's sign-in form
// renders. Saves a screenshot. Usage: node check.mjs DIST_DIR SCREENSHOT.png
//
// Chromium comes from Debian's `chromium` package (CHROMIUM overrides the
// path); playwright-core never downloads a browser.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize, dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [distArg, shotArg] = process.argv.slice(2);
if (!distArg || !shotArg) {
  console.error('usage: node check.mjs DIST_DIR SCREENSHOT.png');
  process.exit(2);
}
const dist = resolve(distArg);
const shot = resolve(shotArg);

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  try {
    const body = await readFile(join(dist, rel));
    res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    // A single-page app: unknown paths get the page.
    const body = await readFile(join(dist, 'index.html'));
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(body);
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const { port } = server.address();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load', timeout: 30000 });
  // The Authenticator's sign-in tab: a password field and the Sign in button.
  const password = page.locator('input[type="password"]').first();
  const signIn = page.getByRole('button', { name: /^sign in$/i }).first();
  try {
    await password.waitFor({ state: 'visible', timeout: 20000 });
    await signIn.waitFor({ state: 'visible', timeout: 5000 });
  } catch (e) {
    failed = true;
    console.error(`the sign-in form did not render: ${e.message}`);
    if (errors.length) console.error(`page errors:\n  ${errors.join('\n  ')}`);
    console.error((await page.locator('body').innerText()).slice(0, 2000));
  }
  // The sign-up tab is there too (create account).
  if (!failed && (await page.getByRole('tab', { name: /create account/i }).count()) === 0) {
    failed = true;
    console.error('the Authenticator has no "Create Account" tab');
  }
  await mkdir(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`${failed ? 'FAILED' : 'ok'}: sign-in form at http://127.0.0.1:${port}/, screenshot ${shot}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
