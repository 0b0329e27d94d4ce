import assert from "node:assert/strict";
import { test } from "node:test";
import type { Context } from "aws-lambda";

import { handler } from "../src/index";

const context = { awsRequestId: "test" } as Context;

test("greets by name", async () => {
  const result = await handler({ name: "Ada" }, context);
  assert.match(result.message, /^Hello, Ada!/);
});

test("greets the world when no name is given", async () => {
  const result = await handler({}, context);
  assert.match(result.message, /^Hello, world!/);
});
