// Amplify's own GraphQL transformer (v2, with Gen 1's default feature
// flags), run on schemas: the client schema AppSync would get for each (the
// `schema.graphql` asset), the oracle hoist's transform is compared with.
//
//   node transform.mjs AUTH_CONFIG_JSON SCHEMA_FILE...
//
// AUTH_CONFIG_JSON is an AppSyncAuthConfiguration: {"defaultAuthentication":
// {"authenticationType": "AMAZON_COGNITO_USER_POOLS"},
// "additionalAuthenticationProviders": [...]}. Prints one JSON object: by
// file, {"sdl": "..."} or, for a schema Amplify refuses, {"error": "..."}.
//
// With ORACLE_BENCH_RUNS=N (scripts/bench_synth.py), each schema is
// transformed once to warm up and then N times, and the object holds, by
// file, {"ms": [...]}: the wall time of each run in this process (Node's
// start and the modules' loading excluded), the figures hoist's are held to.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { App, Stack, NestedStack } = require('aws-cdk-lib');
const { executeTransform } = require('@aws-amplify/graphql-transformer');
const { constructDataSourceStrategies, DDB_DEFAULT_DATASOURCE_STRATEGY } = require('@aws-amplify/graphql-transformer-core');
const { defaultTransformParameters } = require('@aws-amplify/graphql-transformer-core/lib/transformer-context/transform-parameters');

const [authJson, ...files] = process.argv.slice(2);
const authConfig = JSON.parse(authJson);

const transformOne = (schema) => {
  const app = new App();
  const stack = new Stack(app, 'api');
  let clientSchema = null;
  const assetProvider = {
    provide: (_scope, name, props) => {
      if (props.fileName === 'schema.graphql') clientSchema = props.fileContent;
      const key = `${name}/${props.fileName}`;
      return {
        assetHash: key,
        httpUrl: `https://assets.example.com/${key}`,
        s3BucketName: 'assets',
        s3ObjectKey: key,
        s3ObjectUrl: `s3://assets/${key}`,
      };
    },
  };
  executeTransform({
    schema,
    // every model in a DynamoDB table of its own, as Gen 1 makes them
    dataSourceStrategies: constructDataSourceStrategies(schema, DDB_DEFAULT_DATASOURCE_STRATEGY),
    scope: stack,
    authConfig,
    transformersFactoryArgs: {},
    transformParameters: defaultTransformParameters,
    nestedStackProvider: { provide: (scope, name) => new NestedStack(scope, name) },
    assetProvider,
    synthParameters: {
      amplifyEnvironmentName: 'dev',
      apiName: 'api',
      authenticatedUserRoleName: 'AuthRole',
      unauthenticatedUserRoleName: 'UnauthRole',
      userPoolId: 'us-east-1_pool',
      identityPoolId: 'us-east-1:identity',
      adminRoles: [],
      enableIamAccess: false,
      provisionHotswapFriendlyResources: false,
    },
    printTransformerLog: () => {},
  });
  // the schema asset is made when the stack is synthesized
  app.synth();
  if (clientSchema === null) throw new Error('the transformer made no schema');
  return clientSchema;
};

const out = {};
const benchRuns = Number(process.env.ORACLE_BENCH_RUNS ?? 0);
for (const file of files.filter(() => benchRuns > 0)) {
  const schema = readFileSync(file, 'utf8');
  transformOne(schema);
  const ms = [];
  for (let i = 0; i < benchRuns; i++) {
    const start = process.hrtime.bigint();
    transformOne(schema);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  out[file] = { ms };
}
for (const file of files.filter(() => benchRuns === 0)) {
  try {
    out[file] = { sdl: transformOne(readFileSync(file, 'utf8')) };
  } catch (error) {
    out[file] = { error: `${error.name}: ${error.message}` };
  }
}
process.stdout.write(JSON.stringify(out));
