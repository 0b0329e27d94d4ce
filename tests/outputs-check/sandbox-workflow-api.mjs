// Calls a workflow's REST endpoint (`api` trigger, IAM) in a running
// `hoist sandbox` with the real aws-amplify v6 REST client, configured from
// amplify_outputs.json's `custom.workflows.<name>.api` as the docs show;
// Amplify signs each request with SigV4 (service execute-api) using the
// credentials `hoist sandbox credentials --json` printed.
//
//   node sandbox-workflow-api.mjs OUTPUTS WORKFLOW CREDENTIALS start BODY
//   node sandbox-workflow-api.mjs OUTPUTS WORKFLOW CREDENTIALS task-success TOKEN OUTPUT
//   node sandbox-workflow-api.mjs OUTPUTS WORKFLOW CREDENTIALS task-failure TOKEN ERROR CAUSE
//
// Prints `{"status", "body"}` of the answer as JSON: a refusal is reported,
// not thrown.
import { readFileSync } from 'node:fs';

const { Amplify } = await import('aws-amplify');
const { post } = await import('aws-amplify/api');

const [outputsPath, workflow, printed, what, ...rest] = process.argv.slice(2);
const outputs = JSON.parse(readFileSync(outputsPath, 'utf8'));
const section = outputs.custom.workflows[workflow];
const { Credentials: c, IdentityId } = JSON.parse(printed);
const libraryOptions = {
  Auth: {
    credentialsProvider: {
      getCredentialsAndIdentityId: async () => ({
        credentials: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretKey,
          sessionToken: c.SessionToken,
          expiration: new Date(c.Expiration * 1000),
        },
        identityId: IdentityId,
      }),
      clearCredentialsAndIdentityId: () => {},
    },
  },
};
Amplify.configure(outputs, libraryOptions);
// amplify_outputs.json has no REST section: the workflow's endpoint is added
// to the parsed configuration, as Amplify's docs show for existing REST APIs
const config = Amplify.getConfig();
Amplify.configure(
  {
    ...config,
    API: {
      ...config.API,
      REST: { [workflow]: { endpoint: section.api.endpoint, region: section.aws_region } },
    },
  },
  libraryOptions,
);

let path;
let body;
if (what === 'start') {
  path = section.api.path;
  body = JSON.parse(rest[0]);
} else if (what === 'task-success') {
  path = section.api.task_success_path;
  body = { taskToken: rest[0], output: JSON.parse(rest[1]) };
} else {
  path = section.api.task_failure_path;
  body = { taskToken: rest[0], error: rest[1], cause: rest[2] };
}
try {
  const { statusCode, body: answer } = await post({ apiName: workflow, path, options: { body } }).response;
  console.log(JSON.stringify({ status: statusCode, body: await answer.json() }));
} catch (error) {
  const response = error.response;
  if (!response) throw error;
  console.log(JSON.stringify({ status: response.statusCode, body: JSON.parse(response.body || 'null') }));
}
