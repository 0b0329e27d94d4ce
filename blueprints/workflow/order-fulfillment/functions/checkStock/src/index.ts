import type { Context } from "aws-lambda";

export interface OrderItem {
  sku: string;
  quantity: number;
}

export interface Order {
  orderId: string;
  items: OrderItem[];
  amount: number;
}

/** The most of one item an order may take (replace with your inventory's answer). */
const MAX_PER_ITEM = Number(process.env.MAX_PER_ITEM ?? "10");

/**
 * Whether every item of the order is in stock: `{ inStock }`. The workflow's
 * Choice state reads it. A malformed order is an error (`InvalidOrder`), which
 * the workflow does not retry.
 */
export const handler = async (order: Order, context: Context): Promise<{ inStock: boolean }> => {
  if (!order?.orderId || !Array.isArray(order.items) || order.items.length === 0) {
    const error = new Error("an order has an `orderId` and at least one item");
    error.name = "InvalidOrder";
    throw error;
  }
  const inStock = order.items.every(
    (item) => Number.isInteger(item.quantity) && item.quantity > 0 && item.quantity <= MAX_PER_ITEM,
  );
  console.log(`order ${order.orderId}: in stock ${inStock} (request ${context.awsRequestId})`);
  return { inStock };
};
