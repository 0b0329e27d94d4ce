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
