import assert from "node:assert/strict";
import { test } from "node:test";
import type { Context } from "aws-lambda";

import { handler } from "../src/index";

const context = { awsRequestId: "test" } as Context;

test("a charge is named by its order, so a retry charges once", async () => {
  assert.deepEqual(await handler({ orderId: "o-1", amount: 20 }, context), { paymentId: "pay-o-1" });
});

test("a charge above the limit is declined", async () => {
  await assert.rejects(handler({ orderId: "o-2", amount: 5000 }, context), { name: "PaymentDeclined" });
});
