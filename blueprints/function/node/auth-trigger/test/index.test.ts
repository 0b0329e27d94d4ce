import assert from "node:assert/strict";
import { test } from "node:test";
import type { PreSignUpTriggerEvent } from "aws-lambda";

import { handler } from "../src/index";

function signUp(email: string): PreSignUpTriggerEvent {
  return {
    version: "1",
    triggerSource: "PreSignUp_SignUp",
    region: "us-east-1",
    userPoolId: "us-east-1_test",
    userName: "ada",
    callerContext: { awsSdkVersion: "test", clientId: "client" },
    request: { userAttributes: { email } },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  };
}

test("refuses a blocked domain", async () => {
  await assert.rejects(handler(signUp("ada@example.com")), /example.com are not accepted/);
});

test("lets other domains sign up", async () => {
  const event = signUp("ada@lovelace.dev");
  assert.deepEqual(await handler(event), event);
});
