//! A storage trigger: runs on every file created in (or deleted from) the
//! storage bucket. The event is S3's as EventBridge delivers it
//! (`detail-type` "Object Created" or "Object Deleted", `detail.bucket.name`,
//! `detail.object.key` as stored, not URL-encoded; "EventBridge event message
//! structure", Amazon S3 User Guide), not S3's `Records`. Replace the log
//! line with your work: make a thumbnail, index the file, record it in a table.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let e = &event.payload;
    let kind = e["detail-type"].as_str().unwrap_or_default();
    let bucket = e["detail"]["bucket"]["name"].as_str().unwrap_or_default();
    let key = e["detail"]["object"]["key"]
        .as_str()
        .ok_or("the event names no object key")?;
    let size = e["detail"]["object"]["size"].as_u64();
    println!(
        "{kind}: s3://{bucket}/{key} ({} bytes)",
        size.map_or("-".to_string(), |s| s.to_string())
    );
    Ok(json!({ "bucket": bucket, "key": key, "event": kind, "size": size }))
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
    async fn reads_the_bucket_the_key_and_the_size() {
        let event = json!({
            "detail-type": "Object Created",
            "source": "aws.s3",
            "detail": { "bucket": { "name": "files" }, "object": { "key": "public/a b.jpg", "size": 5 } }
        });
        let answer = handler(LambdaEvent::new(event, Context::default())).await.unwrap();
        assert_eq!(
            answer,
            json!({ "bucket": "files", "key": "public/a b.jpg", "event": "Object Created", "size": 5 })
        );
    }
}
