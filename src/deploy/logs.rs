//! After a deploy: the AppSync APIs' log groups and their retention, set
//! through CloudWatch Logs rather than the templates.

use super::aws::Clients;
use super::error::DeployError;

/// The log group AppSync writes an API's resolver errors to (AppSync
/// developer guide, "Logging"): `/aws/appsync/apis/<api id>`.
pub fn appsync_log_group(api_id: &str) -> String {
    format!("/aws/appsync/apis/{api_id}")
}

/// Gives an API's log group its retention: the group is made if AppSync has
/// not made it yet (CreateLogGroup; one that exists is fine), then
/// PutRetentionPolicy. A log group made by CloudFormation would collide with
/// the one AppSync made for an API deployed before, so this is a call of its
/// own, after the deploy.
///
/// Errors: what CloudWatch Logs refuses (the caller reports it as a warning:
/// the deploy itself is done).
pub async fn set_log_retention(
    clients: &Clients,
    api_id: &str,
    days: u16,
) -> Result<(), DeployError> {
    let group = appsync_log_group(api_id);
    if let Err(err) = clients
        .logs
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
    {
        let exists = err
            .as_service_error()
            .is_some_and(|e| e.is_resource_already_exists_exception());
        if !exists {
            return Err(clients.refused("CreateLogGroup")(err));
        }
    }
    clients
        .logs
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(i32::from(days))
        .send()
        .await
        .map_err(clients.refused("PutRetentionPolicy"))?;
    Ok(())
}

/// One line a function logged: when (milliseconds since the epoch), in
/// which stream, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// CloudWatch's id of the event: the same line read twice has the same.
    pub id: String,
    pub timestamp: i64,
    pub stream: String,
    pub message: String,
}

/// The lines of `group` since `start_ms` (FilterLogEvents, every page, at
/// most `limit` lines), oldest first. A group that does not exist yet (the
/// function never ran) is `Ok(None)`.
///
/// Errors: what CloudWatch Logs refuses.
pub async fn log_lines(
    clients: &Clients,
    group: &str,
    start_ms: i64,
    limit: usize,
) -> Result<Option<Vec<LogLine>>, DeployError> {
    let mut lines = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = match clients
            .logs
            .filter_log_events()
            .log_group_name(group)
            .start_time(start_ms.max(0))
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(out) => out,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(err) => return Err(clients.refused("FilterLogEvents")(err)),
        };
        for event in out.events() {
            lines.push(LogLine {
                id: event.event_id().unwrap_or_default().to_string(),
                timestamp: event.timestamp().unwrap_or(0),
                stream: event.log_stream_name().unwrap_or_default().to_string(),
                message: event.message().unwrap_or_default().trim_end().to_string(),
            });
        }
        let next = out.next_token().map(str::to_string);
        if next.is_none() || next == token || lines.len() >= limit {
            break;
        }
        token = next;
    }
    lines.sort_by_key(|l| l.timestamp);
    lines.truncate(limit);
    Ok(Some(lines))
}
