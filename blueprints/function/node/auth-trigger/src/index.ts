import type { PreSignUpTriggerEvent } from "aws-lambda";

/** The email domains refused at sign-up: BLOCKED_DOMAINS, comma-separated. */
function blocked(): string[] {
  return (process.env.BLOCKED_DOMAINS ?? "example.com")
    .split(",")
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * The user pool's pre sign-up trigger: refuses sign-ups from the blocked
 * email domains. Throwing refuses the sign-up (Cognito answers
 * UserLambdaValidationException with the message); returning the event
 * lets it go on.
 */
export const handler = async (event: PreSignUpTriggerEvent): Promise<PreSignUpTriggerEvent> => {
  const email = event.request.userAttributes.email ?? "";
  const domain = email.split("@").pop()?.toLowerCase() ?? "";
  if (blocked().includes(domain)) {
    throw new Error(`sign-ups from ${domain} are not accepted`);
  }
  return event;
};
