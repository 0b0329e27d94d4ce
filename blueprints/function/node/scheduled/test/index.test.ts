import assert from "node:assert/strict";
import { test } from "node:test";

import { handler } from "../src/index";

test("reads the time and the rule of the run", async () => {
  const run = await handler({
    version: "0",
    id: "1",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "111122223333",
    time: "2026-01-01T12:00:00Z",
    region: "us-east-1",
    resources: ["arn:aws:events:us-east-1:111122223333:rule/nightly"],
    detail: {},
  });
  assert.deepEqual(run, {
    scheduledAt: "2026-01-01T12:00:00Z",
    rule: "arn:aws:events:us-east-1:111122223333:rule/nightly",
  });
});
