// Hands each amplify_outputs.json given on the command line to the real
// `Amplify.configure()` and prints what `Amplify.getConfig()` made of it.
import { readFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';

const results = {};
for (const file of process.argv.slice(2)) {
  const outputs = JSON.parse(readFileSync(file, 'utf8'));
  Amplify.configure(outputs);
  const config = Amplify.getConfig();
  const cognito = config.Auth?.Cognito ?? {};
  const s3 = config.Storage?.S3 ?? {};
  const graphql = config.API?.GraphQL ?? {};
  results[file] = {
    userPoolId: cognito.userPoolId ?? null,
    userPoolClientId: cognito.userPoolClientId ?? null,
    identityPoolId: cognito.identityPoolId ?? null,
    allowGuestAccess: cognito.allowGuestAccess ?? null,
    mfa: cognito.mfa ?? null,
    loginWith: cognito.loginWith ?? null,
    passwordFormat: cognito.passwordFormat ?? null,
    groups: cognito.groups ?? null,
    bucket: s3.bucket ?? null,
    region: s3.region ?? null,
    buckets: s3.buckets ?? null,
    graphqlEndpoint: graphql.endpoint ?? null,
    graphqlDefaultAuthMode: graphql.defaultAuthMode ?? null,
    graphqlApiKey: graphql.apiKey ?? null,
  };
}
console.log(JSON.stringify(results, null, 2));
