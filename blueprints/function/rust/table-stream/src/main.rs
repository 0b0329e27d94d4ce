//! A table stream function: runs on each batch of changes of a model's table
//! (its DynamoDB stream, new and old images). Replace the log line with your
//! work: send a notification, keep a count, copy the item elsewhere. An
//! error retries the batch.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (mut inserted, mut modified, mut removed) = (0, 0, 0);
    let records = event.payload["Records"].as_array().cloned().unwrap_or_default();
    for record in &records {
        let name = record["eventName"].as_str().unwrap_or("MODIFY");
        match name {
            "INSERT" => inserted += 1,
            "REMOVE" => removed += 1,
            _ => modified += 1,
        }
        let keys = &record["dynamodb"]["Keys"];
        let id = keys["id"]["S"].as_str().map_or_else(|| keys.to_string(), str::to_string);
        println!("{name} {id}");
    }
    Ok(json!({ "INSERT": inserted, "MODIFY": modified, "REMOVE": removed }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;

    fn record(name: &str, id: &str) -> Value {
        json!({ "eventName": name, "eventSource": "aws:dynamodb", "dynamodb": { "Keys": { "id": { "S": id } } } })
    }

    #[tokio::test]
    async fn counts_the_batchs_changes_by_kind() {
        let event = json!({ "Records": [record("INSERT", "a"), record("INSERT", "b"), record("REMOVE", "a")] });
        let answer = handler(LambdaEvent::new(event, Context::default())).await.unwrap();
        assert_eq!(answer, json!({ "INSERT": 2, "MODIFY": 0, "REMOVE": 1 }));
    }
}
