import type { Context } from "aws-lambda";

export interface FailedOrder {
  orderId: string;
  amount: number;
  /** What the Parallel state failed with (`Error`, `Cause`), from the workflow's Catch. */
  error?: { Error?: string; Cause?: string };
}

/**
 * Undoes what a failed order did: refunds its payment and releases its
 * reservation, by the ids charging and reserving give an order. Each step
 * may already be undone or never have happened: compensation is safe to
 * repeat, as the workflow retries it. Replace the logs with your calls.
 */
export const handler = async (
  order: FailedOrder,
  context: Context,
): Promise<{ refunded: string; released: string }> => {
  const refunded = `pay-${order.orderId}`;
  const released = `res-${order.orderId}`;
  console.log(
    `order ${order.orderId} failed (${order.error?.Error ?? "unknown"}): refunding ${refunded}, releasing ${released} (request ${context.awsRequestId})`,
  );
  return { refunded, released };
};
