// Drives the sandbox's Cognito user pool with the real aws-amplify v6 client,
// configured from the amplify_outputs.json the sandbox wrote (argv[2]) with the
// documented `Auth.Cognito.userPoolEndpoint` pointing at the sandbox, as the
// generated frontends do when the outputs carry `custom.hoist_sandbox`.
//
//   node sandbox-auth.mjs OUTPUTS signup EMAIL PASSWORD
//     signUp; a second signUp of the same email is refused
//   node sandbox-auth.mjs OUTPUTS signin EMAIL PASSWORD CODE
//     a wrong code, then confirmSignUp; a wrong password is refused; signIn
//     (SRP, aws-amplify's default); fetchAuthSession; getCurrentUser;
//     fetchUserAttributes; the identity pool's credentials through Amplify's
//     custom credentials provider; the api with the user-pool token (an owner's todo);
//     a forced token refresh; signOut
//
// The confirmation code is printed by the sandbox; the test reads it there.
// Prints a JSON report; exits non-zero on a failed check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const { Amplify } = await import('aws-amplify');
const { parseAmplifyConfig } = await import('aws-amplify/utils');
const auth = await import('aws-amplify/auth');
const { generateClient } = await import('aws-amplify/data');

const [outputsPath, step, email, password, code] = process.argv.slice(2);
const outputs = JSON.parse(readFileSync(outputsPath, 'utf8'));
const config = parseAmplifyConfig(outputs);
config.Auth.Cognito.userPoolEndpoint = outputs.custom.hoist_sandbox.user_pool_endpoint;
// the identity pool is not served yet: no AWS credentials are asked for
delete config.Auth.Cognito.identityPoolId;
Amplify.configure(config);

const report = { checks: [] };
const check = (name) => report.checks.push(name);
const refusedWith = async (promise, name) => {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    return true;
  });
};

if (step === 'signup') {
  const out = await auth.signUp({ username: email, password, options: { userAttributes: { email } } });
  assert.equal(out.isSignUpComplete, false);
  assert.equal(out.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
  assert.equal(out.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');
  report.userId = out.userId;
  check('sign up');
  await refusedWith(auth.signUp({ username: email, password, options: { userAttributes: { email } } }), 'UsernameExistsException');
  await refusedWith(auth.signUp({ username: 'x@example.com', password: 'short', options: { userAttributes: { email: 'x@example.com' } } }), 'InvalidPasswordException');
  check('duplicates and weak passwords refused');
} else {
  // Cognito refuses an unconfirmed user (UserNotConfirmedException); Amplify turns that into a step
  const early = await auth.signIn({ username: email, password });
  assert.equal(early.isSignedIn, false);
  assert.equal(early.nextStep.signInStep, 'CONFIRM_SIGN_UP');
  await refusedWith(auth.confirmSignUp({ username: email, confirmationCode: code === '000000' ? '111111' : '000000' }), 'CodeMismatchException');
  const confirmed = await auth.confirmSignUp({ username: email, confirmationCode: code });
  assert.equal(confirmed.isSignUpComplete, true);
  check('confirm sign up');

  await refusedWith(auth.signIn({ username: email, password: `${password}x` }), 'NotAuthorizedException');
  const signedIn = await auth.signIn({ username: email, password });
  assert.equal(signedIn.isSignedIn, true, JSON.stringify(signedIn));
  check('sign in (SRP)');

  const session = await auth.fetchAuthSession();
  const id = session.tokens.idToken.payload;
  assert.equal(id.email, email);
  assert.equal(id.token_use, 'id');
  assert.equal(id.email_verified, true);
  assert.equal(session.tokens.accessToken.payload.token_use, 'access');
  const user = await auth.getCurrentUser();
  assert.equal(user.signInDetails.loginId, email);
  assert.equal(user.userId, id.sub);
  const attributes = await auth.fetchUserAttributes();
  assert.equal(attributes.email, email);
  check('session, user and attributes');

  // the identity pool, through Amplify's documented custom credentials provider
  // (as the generated backend.ts configures it): a signed-in user's AWS credentials
  const { cognitoUserPoolsTokenProvider } = await import('aws-amplify/auth/cognito');
  const identityCall = async (target, body) => {
    const response = await fetch(outputs.custom.hoist_sandbox.identity_pool_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${target}` },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    assert.equal(response.status, 200, JSON.stringify(data));
    return data;
  };
  const poolId = outputs.auth.identity_pool_id;
  Amplify.configure({ ...config, Auth: { Cognito: { ...config.Auth.Cognito, identityPoolId: poolId } } }, {
    Auth: {
      tokenProvider: cognitoUserPoolsTokenProvider,
      credentialsProvider: {
        async getCredentialsAndIdentityId({ tokens }) {
          const Logins = { [`cognito-idp.us-east-1.amazonaws.com/${outputs.auth.user_pool_id}`]: tokens.idToken.toString() };
          const { IdentityId } = await identityCall('GetId', { IdentityPoolId: poolId, Logins });
          const { Credentials: c } = await identityCall('GetCredentialsForIdentity', { IdentityId, Logins });
          return {
            identityId: IdentityId,
            credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretKey, sessionToken: c.SessionToken, expiration: new Date(c.Expiration * 1000) },
          };
        },
        clearCredentialsAndIdentityId() {},
      },
    },
  });
  const withCredentials = await auth.fetchAuthSession();
  assert.match(withCredentials.identityId, /^us-east-1:[0-9a-f-]{36}$/);
  assert.match(withCredentials.credentials.accessKeyId, /^ASIA/);
  assert.equal(withCredentials.tokens.idToken.payload.sub, id.sub);
  // the same identity's OpenID token, which names it and how it signed in
  const Logins = { [`cognito-idp.us-east-1.amazonaws.com/${outputs.auth.user_pool_id}`]: withCredentials.tokens.idToken.toString() };
  const openId = await identityCall('GetOpenIdToken', { IdentityId: withCredentials.identityId, Logins });
  const openIdClaims = JSON.parse(Buffer.from(openId.Token.split('.')[1], 'base64url'));
  assert.equal(openIdClaims.sub, withCredentials.identityId);
  assert.equal(openIdClaims.aud, poolId);
  assert.deepEqual(openIdClaims.amr.slice(0, 2), ['authenticated', `cognito-idp.us-east-1.amazonaws.com/${outputs.auth.user_pool_id}`]);
  check('identity pool credentials and OpenID token');

  const client = generateClient({ authMode: 'userPool' });
  const created = await client.models.Todo.create({ name: 'signed in' });
  assert.equal(created.errors, undefined, JSON.stringify(created.errors));
  assert.ok(created.data.owner.endsWith(`::${id['cognito:username']}`) || created.data.owner.includes(id.sub), created.data.owner);
  const listed = await client.models.Todo.list();
  assert.deepEqual(listed.data.map((t) => t.name), ['signed in']);
  check('the api takes the pool tokens');

  const refreshed = await auth.fetchAuthSession({ forceRefresh: true });
  assert.notEqual(refreshed.tokens.accessToken.toString(), session.tokens.accessToken.toString());
  check('refresh');

  const access = refreshed.tokens.accessToken.toString();
  await auth.signOut({ global: true });
  await assert.rejects(auth.getCurrentUser());
  // the server ended the session: the old access token is refused by the pool
  const replay = await fetch(outputs.custom.hoist_sandbox.user_pool_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.GetUser' },
    body: JSON.stringify({ AccessToken: access }),
  });
  assert.equal(replay.status, 400);
  assert.equal((await replay.json()).__type, 'NotAuthorizedException');
  check('sign out');
}

console.log(JSON.stringify(report));
process.exit(0);
