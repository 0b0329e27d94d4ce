import assert from "node:assert/strict";
import { test } from "node:test";
import type { Context } from "aws-lambda";

import { handler } from "../src/index";

const context = { awsRequestId: "test" } as Context;

test("an order of available quantities is in stock", async () => {
  const result = await handler({ orderId: "o-1", amount: 20, items: [{ sku: "tea", quantity: 2 }] }, context);
  assert.deepEqual(result, { inStock: true });
});

test("too many of one item is out of stock", async () => {
  const result = await handler({ orderId: "o-2", amount: 20, items: [{ sku: "tea", quantity: 500 }] }, context);
  assert.deepEqual(result, { inStock: false });
});

test("an order without items is refused", async () => {
  await assert.rejects(handler({ orderId: "o-3", amount: 0, items: [] }, context), { name: "InvalidOrder" });
});
