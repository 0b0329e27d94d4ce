//! A `hoist sandbox` process for tests: started on a free port, its output
//! lines read as they come, stopped when dropped.

/// A `hoist sandbox` process: its port, and its output lines as they come.
pub struct Running {
    pub child: std::process::Child,
    pub port: u16,
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Running {
    pub fn start(sb: &super::Sandbox, app: &std::path::Path, args: &[&str]) -> Running {
        Self::try_start(sb, app, args)
            .unwrap_or_else(|(out, err)| panic!("the sandbox did not start:\n{out}\n{err}"))
    }

    /// Start and wait for the endpoint line; on failure, its stdout and stderr.
    pub fn try_start(
        sb: &super::Sandbox,
        app: &std::path::Path,
        args: &[&str],
    ) -> Result<Running, (String, String)> {
        use std::io::BufRead;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hoist"))
            .current_dir(app)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", sb.home.path())
            .env("NO_COLOR", "1")
            .arg("sandbox")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx2.send(format!("stderr: {line}"));
            }
        });
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::time::Instant::now() < deadline {
            match lines.recv_timeout(std::time::Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("GraphQL endpoint: ") {
                        let port = url
                            .trim_start_matches("http://127.0.0.1:")
                            .trim_end_matches("/graphql")
                            .parse()
                            .unwrap();
                        return Ok(Running { child, port, lines });
                    }
                    seen.push(line);
                }
                Err(_) => {
                    if let Ok(Some(_)) = child.try_wait() {
                        while let Ok(line) =
                            lines.recv_timeout(std::time::Duration::from_millis(200))
                        {
                            seen.push(line);
                        }
                        return Err((seen.join("\n"), String::new()));
                    }
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        Err((seen.join("\n"), "timed out".into()))
    }

    /// POST /graphql with these headers; the status and the JSON body.
    pub fn post(&self, headers: &[(&str, &str)], body: &str) -> (u16, serde_json::Value) {
        self.request("POST", "/graphql", headers, body)
    }

    /// A request to `path`; the status and the JSON body (null when it is not JSON).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, serde_json::Value) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or("");
        (
            status,
            serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Wait for an output line containing `text`.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut seen = Vec::new();
        while std::time::Instant::now() < deadline {
            if let Ok(line) = self
                .lines
                .recv_timeout(std::time::Duration::from_millis(200))
            {
                if line.contains(text) {
                    return line;
                }
                seen.push(line);
            }
        }
        panic!("no line with `{text}` in:\n{}", seen.join("\n"));
    }

    /// SIGTERM; the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the sandbox did not stop"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
