import assert from "node:assert/strict";
import { test } from "node:test";

import { handler, type ResolverEvent } from "../src/index";

function field(fieldName: string, args: Record<string, unknown> = {}): ResolverEvent {
  return { typeName: "Query", fieldName, arguments: args, identity: null, source: null, prev: null };
}

test("echoes the message", async () => {
  assert.equal(await handler(field("echo", { message: "hi" })), "hi");
});

test("names a signed-in caller", async () => {
  const event = field("whoami");
  event.identity = {
    sub: "1",
    username: "ada",
    issuer: "https://cognito-idp",
    claims: {},
    sourceIp: [],
    defaultAuthStrategy: "ALLOW",
    groups: null,
  };
  assert.equal(await handler(event), "ada");
});

test("refuses a field it does not resolve", async () => {
  await assert.rejects(handler(field("other")), /no resolver for Query.other/);
});
