// TOTP MFA on the sandbox's user pool with the real aws-amplify v6 client:
// a signed-in user sets up TOTP (setUpTOTP, verifyTOTPSetup with a code an
// authenticator would show), turns it on (updateMFAPreference), and the next
// sign-in asks for a code (CONFIRM_SIGN_IN_WITH_TOTP_CODE): a wrong one is
// refused, the right one signs in.
//
//   node sandbox-mfa.mjs OUTPUTS EMAIL PASSWORD
//
// The user exists and is confirmed (`hoist sandbox users add`). Prints a JSON
// report; exits non-zero on a failed check.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const { Amplify } = await import('aws-amplify');
const { parseAmplifyConfig } = await import('aws-amplify/utils');
const auth = await import('aws-amplify/auth');

const [outputsPath, email, password] = process.argv.slice(2);
const outputs = JSON.parse(readFileSync(outputsPath, 'utf8'));
const config = parseAmplifyConfig(outputs);
config.Auth.Cognito.userPoolEndpoint = outputs.custom.hoist_sandbox.user_pool_endpoint;
delete config.Auth.Cognito.identityPoolId;
Amplify.configure(config);

const report = { checks: [] };
const check = (name) => report.checks.push(name);

/** RFC 6238 with an authenticator's defaults (SHA-1, 6 digits, 30 s), for the step `offset` away. */
function totp(base32, offset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const first = await auth.signIn({ username: email, password });
assert.equal(first.isSignedIn, true, JSON.stringify(first));
const setup = await auth.setUpTOTP();
const secret = setup.sharedSecret;
assert.match(secret, /^[A-Z2-7]{32}$/);
assert.match(setup.getSetupUri('hoist').toString(), /^otpauth:\/\/totp\//);
await auth.verifyTOTPSetup({ code: totp(secret) });
await auth.updateMFAPreference({ totp: 'PREFERRED' });
const preference = await auth.fetchMFAPreference();
assert.deepEqual(preference.enabled, ['TOTP']);
assert.equal(preference.preferred, 'TOTP');
check('set up TOTP and turn it on');
await auth.signOut();

const second = await auth.signIn({ username: email, password });
assert.equal(second.isSignedIn, false);
assert.equal(second.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE');
await assert.rejects(auth.confirmSignIn({ challengeResponse: '000000' === totp(secret, 1) ? '111111' : '000000' }), (e) => {
  assert.equal(e.name, 'CodeMismatchException', `${e.name}: ${e.message}`);
  return true;
});
// the code used for the setup is spent: the authenticator's next one
const confirmed = await auth.confirmSignIn({ challengeResponse: totp(secret, 1) });
assert.equal(confirmed.isSignedIn, true, JSON.stringify(confirmed));
const session = await auth.fetchAuthSession();
assert.equal(session.tokens.idToken.payload.email, email);
check('the next sign-in asks for a code; a wrong one is refused, the right one signs in');
await auth.signOut();

console.log(JSON.stringify(report));
