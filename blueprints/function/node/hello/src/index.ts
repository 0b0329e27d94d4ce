import type { Context } from "aws-lambda";

export interface HelloEvent {
  name?: string;
}

export interface HelloResult {
  message: string;
}

/** Greets the caller by name; `ENV` is the hoist environment the function runs in. */
export const handler = async (event: HelloEvent, context: Context): Promise<HelloResult> => {
  const name = event?.name ?? "world";
  console.log(`greeting ${name} (request ${context.awsRequestId})`);
  return { message: `Hello, ${name}! (${process.env.ENV ?? "local"})` };
};
