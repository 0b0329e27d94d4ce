import type { Context } from "aws-lambda";

export interface Order {
  orderId: string;
  items: { sku: string; quantity: number }[];
}

/**
 * Reserves the order's items: `{ reservationId }`, the same for the same order
 * (a retried reservation reserves once). Replace with your warehouse's call.
 */
export const handler = async (order: Order, context: Context): Promise<{ reservationId: string }> => {
  const count = (order?.items ?? []).reduce((sum, item) => sum + item.quantity, 0);
  console.log(`reserved ${count} items for order ${order?.orderId} (request ${context.awsRequestId})`);
  return { reservationId: `res-${order.orderId}` };
};
