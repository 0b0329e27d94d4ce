//! The user pool's pre sign-up trigger: refuses sign-ups from the blocked
//! email domains (`BLOCKED_DOMAINS`, comma-separated). An error refuses the
//! sign-up (Cognito answers UserLambdaValidationException with its message);
//! returning the event lets it go on.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

fn blocked() -> Vec<String> {
    std::env::var("BLOCKED_DOMAINS")
        .unwrap_or_else(|_| "example.com".to_string())
        .split(',')
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let email = event.payload["request"]["userAttributes"]["email"]
        .as_str()
        .unwrap_or_default();
    let domain = email.rsplit('@').next().unwrap_or_default().to_lowercase();
    if blocked().contains(&domain) {
        return Err(format!("sign-ups from {domain} are not accepted").into());
    }
    Ok(event.payload)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;
    use serde_json::json;

    fn sign_up(email: &str) -> LambdaEvent<Value> {
        LambdaEvent::new(
            json!({ "triggerSource": "PreSignUp_SignUp", "request": { "userAttributes": { "email": email } } }),
            Context::default(),
        )
    }

    #[tokio::test]
    async fn refuses_a_blocked_domain() {
        let err = handler(sign_up("ada@example.com")).await.unwrap_err();
        assert!(err.to_string().contains("example.com are not accepted"));
    }

    #[tokio::test]
    async fn lets_other_domains_sign_up() {
        let event = sign_up("ada@lovelace.dev");
        let payload = event.payload.clone();
        assert_eq!(handler(event).await.unwrap(), payload);
    }
}
