//! A Lambda function: greets the caller by name. `ENV` is the hoist
//! environment it runs in.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
struct Request {
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct Response {
    message: String,
}

async fn handler(event: LambdaEvent<Request>) -> Result<Response, Error> {
    let name = event.payload.name.unwrap_or_else(|| "world".to_string());
    let env = std::env::var("ENV").unwrap_or_else(|_| "local".to_string());
    println!("greeting {name} (request {})", event.context.request_id);
    Ok(Response {
        message: format!("Hello, {name}! ({env})"),
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;

    #[tokio::test]
    async fn greets_by_name() {
        let event = LambdaEvent::new(
            Request {
                name: Some("Ada".into()),
            },
            Context::default(),
        );
        let response = handler(event).await.unwrap();
        assert!(response.message.starts_with("Hello, Ada!"));
    }

    #[tokio::test]
    async fn greets_the_world_when_no_name_is_given() {
        let event = LambdaEvent::new(Request::default(), Context::default());
        assert!(handler(event).await.unwrap().message.starts_with("Hello, world!"));
    }
}
