//! A moto server (with hoist's extension, tests/moto/hoist_moto.py) on a free
//! loopback port, for as long as the value lives.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub endpoint: String,
    python: PathBuf,
}

/// The Python of the moto virtualenv (scripts/test.sh makes it), or `HOIST_MOTO_PYTHON`.
pub fn python() -> PathBuf {
    std::env::var_os("HOIST_MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/moto/bin/python"))
}

fn moto_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto")
}

impl Moto {
    pub fn start() -> Moto {
        let python = python();
        assert!(
            python.exists(),
            "moto's Python not found at {}: run scripts/test.sh, or set HOIST_MOTO_PYTHON",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tempfile::NamedTempFile::new()
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        let child = Command::new(&python)
            .arg(moto_dir().join("hoist_moto.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start moto");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            python,
        };
        // moto imports every service at start: on two cores busy with the
        // other tiers' builds that has taken over 20 s
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if moto.request("GET", "/moto-api/").is_some() {
                return moto;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "moto did not answer on {} (log: {})",
            moto.endpoint,
            log.display()
        );
    }

    /// A bare HTTP request to the server; its status line, or None if it did not answer.
    fn request(&self, method: &str, path: &str) -> Option<String> {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(stream, "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        response.lines().next().map(str::to_string)
    }

    /// One DynamoDB API call (`DynamoDB_20120810.<operation>`, JSON 1.0): the
    /// HTTP status and the JSON body. moto does not check the signature; the
    /// credential scope names the region.
    pub fn dynamodb(&self, operation: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to moto");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let body = body.to_string();
        write!(
            stream,
            "POST / HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (
            status,
            serde_json::from_str(payload).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Turn on moto's execution of state machines (its parser, from
    /// LocalStack, which also checks definitions): state machines made from
    /// then on run when started.
    pub fn execute_state_machines(&self) {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to moto");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let body = r#"{"stepfunctions": {"execute_state_machine": true}}"#;
        write!(
            stream,
            "POST /moto-api/config HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split_whitespace().nth(1).unwrap_or("");
        assert!(status.starts_with('2'), "{response}");
    }

    /// `hoist` in the project `shop` of `sb`, with this server as AWS and
    /// test credentials, ready for its arguments.
    pub fn hoist(&self, sb: &super::Sandbox) -> assert_cmd::Command {
        let mut cmd = sb.hoist_in(&sb.join("shop"));
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        cmd
    }

    /// Forget everything (moto's state is global).
    pub fn reset(&self) {
        self.request("POST", "/moto-api/reset").expect("reset moto");
    }

    /// Store a SecureString SSM parameter, as a team would before deploying.
    pub fn put_secure_parameter(&self, region: &str, name: &str, value: &str) {
        self.boto3(
            region,
            &format!(
                "client('ssm').put_parameter(Name='{name}', Value='{value}', Type='SecureString', Overwrite=True)"
            ),
        );
    }

    /// Run Python `code` with boto3, where `client(service)` gives a client
    /// of this server in `region`: what a team's own scripts would do.
    pub fn boto3(&self, region: &str, code: &str) {
        let script = format!(
            "import boto3\ndef client(service):\n    return boto3.client(service, endpoint_url='{}', region_name='{region}', aws_access_key_id='t', aws_secret_access_key='t')\n{code}\n",
            self.endpoint
        );
        let output = Command::new(&self.python)
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Run the script `tests/moto/<script>` with this server's endpoint and
    /// `args`; what it prints, as JSON.
    pub fn script(&self, script: &str, args: &[&str]) -> serde_json::Value {
        let output = Command::new(&self.python)
            .arg(moto_dir().join(script))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{script} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// What the server holds, read through the AWS APIs with boto3.
    pub fn inspect(&self, region: &str) -> serde_json::Value {
        let output = Command::new(&self.python)
            .arg(moto_dir().join("moto_state.py"))
            .args([&self.endpoint, region])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "moto_state.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
