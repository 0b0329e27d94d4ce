import assert from "node:assert/strict";
import { test } from "node:test";
import type { Context } from "aws-lambda";

import { handler } from "../src/index";

test("compensation undoes the payment and the reservation of the order", async () => {
  const result = await handler(
    { orderId: "o-1", amount: 20, error: { Error: "PaymentDeclined", Cause: "declined" } },
    { awsRequestId: "test" } as Context,
  );
  assert.deepEqual(result, { refunded: "pay-o-1", released: "res-o-1" });
});
