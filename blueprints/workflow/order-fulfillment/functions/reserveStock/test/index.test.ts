import assert from "node:assert/strict";
import { test } from "node:test";
import type { Context } from "aws-lambda";

import { handler } from "../src/index";

test("a reservation is named by its order", async () => {
  const result = await handler(
    { orderId: "o-1", items: [{ sku: "tea", quantity: 2 }] },
    { awsRequestId: "test" } as Context,
  );
  assert.deepEqual(result, { reservationId: "res-o-1" });
});
