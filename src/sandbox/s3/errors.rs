//! S3's errors as the sandbox answers them (Amazon S3 API Reference,
//! "Error responses"): a status, a code and a message.

use axum::http::StatusCode;

use super::objects::StoreError;

/// An S3 error: its status, code and message (Amazon S3 API Reference, "Error responses").
#[derive(Debug)]
pub(super) struct S3Error {
    pub(super) status: StatusCode,
    pub(super) code: &'static str,
    pub(super) message: String,
}

pub(super) fn s3_error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> S3Error {
    S3Error {
        status,
        code,
        message: message.into(),
    }
}

pub(super) fn access_denied() -> S3Error {
    s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied")
}

pub(super) fn no_such_key() -> S3Error {
    s3_error(
        StatusCode::NOT_FOUND,
        "NoSuchKey",
        "The specified key does not exist.",
    )
}

pub(super) fn invalid(message: impl Into<String>) -> S3Error {
    s3_error(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

pub(super) fn internal(e: impl std::fmt::Display) -> S3Error {
    s3_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        format!("the sandbox could not read or write its storage folder: {e}"),
    )
}

impl From<StoreError> for S3Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchKey => no_such_key(),
            StoreError::NoSuchUpload => s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            ),
            StoreError::Invalid("PreconditionFailed", message) => s3_error(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                message,
            ),
            StoreError::Invalid(code, message) => s3_error(StatusCode::BAD_REQUEST, code, message),
            StoreError::Io(e) => internal(e),
        }
    }
}

/// The S3 error code for a refused signature, as S3 names them.
pub(super) fn signature_error(message: String) -> S3Error {
    let code = if message.starts_with("The request signature we calculated") {
        "SignatureDoesNotMatch"
    } else if message.starts_with("Signature expired") {
        "RequestTimeTooSkewed"
    } else if message.contains("security token") {
        "InvalidToken"
    } else if message.contains("x-amz-content-sha256") && message.contains("does not match") {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "XAmzContentSHA256Mismatch",
            message,
        );
    } else if message.starts_with("Missing required header") || message.contains("signed chunks") {
        return s3_error(StatusCode::BAD_REQUEST, "InvalidRequest", message);
    } else if message.starts_with("Query-string authentication") || message.contains("malformed") {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            message,
        );
    } else {
        "AccessDenied"
    };
    s3_error(StatusCode::FORBIDDEN, code, message)
}

pub(super) fn malformed_xml() -> S3Error {
    s3_error(
        StatusCode::BAD_REQUEST,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

pub(super) fn precondition_failed() -> S3Error {
    s3_error(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
}
