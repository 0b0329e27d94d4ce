import type { Context } from "aws-lambda";

export interface Order {
  orderId: string;
  amount: number;
}

/** Above this amount the card is declined (replace with your payment provider's call). */
const LIMIT = Number(process.env.CARD_LIMIT ?? "1000");

/**
 * Charges the order's amount: `{ paymentId }`, the same for the same order
 * (a retried charge is not charged twice). A declined card is the error
 * `PaymentDeclined`, which sends the workflow to its compensation.
 */
export const handler = async (order: Order, context: Context): Promise<{ paymentId: string }> => {
  if (!(order?.amount > 0)) {
    const error = new Error("the order's `amount` must be positive");
    error.name = "InvalidOrder";
    throw error;
  }
  if (order.amount > LIMIT) {
    const error = new Error(`the card was declined for ${order.amount} (its limit is ${LIMIT})`);
    error.name = "PaymentDeclined";
    throw error;
  }
  console.log(`charged ${order.amount} for order ${order.orderId} (request ${context.awsRequestId})`);
  return { paymentId: `pay-${order.orderId}` };
};
