//! `watch --vici` against a real charon: started by the test (as root, with
//! its own strongswan.conf: a VICI socket in a temp dir, random IKE ports),
//! loaded with two connections by swanctl, one initiated towards an address
//! nobody answers on, then restarted under watch. CI sets
//! `IPSEC_DOCTOR_REQUIRE_CHARON=1`, so there a missing charon fails;
//! elsewhere the test says it was skipped.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ipsec-doctor");
const CHARON: &str = "/usr/lib/ipsec/charon";
const PATIENCE: Duration = Duration::from_secs(30);

fn charon_or_skip() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let found = root && Path::new(CHARON).is_file() && which("swanctl").is_some();
    if !found {
        assert!(
            std::env::var_os("IPSEC_DOCTOR_REQUIRE_CHARON").is_none(),
            "no charon to test --vici against (needs root, {CHARON} and swanctl), and IPSEC_DOCTOR_REQUIRE_CHARON is set"
        );
        eprintln!("vici: skipped (needs root, {CHARON} and swanctl)");
    }
    found
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

struct Charon {
    child: Child,
    socket: PathBuf,
}

impl Charon {
    fn start(dir: &Path) -> Charon {
        let socket = dir.join("charon.vici");
        let _ = std::fs::remove_file(&socket);
        let conf = dir.join("strongswan.conf");
        std::fs::write(
            &conf,
            format!(
                "charon {{\n  port = 0\n  port_nat_t = 0\n  install_routes = no\n  install_virtual_ip = no\n  \
                 load = random nonce openssl pem pkcs1 x509 kernel-netlink socket-default vici\n  \
                 retransmit_tries = 2\n  retransmit_timeout = 1\n  \
                 plugins {{\n    vici {{\n      socket = unix://{}\n    }}\n  }}\n}}\n",
                socket.display()
            ),
        )
        .unwrap();
        let child = Command::new(CHARON)
            .env("STRONGSWAN_CONF", &conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while !socket.exists() {
            assert!(start.elapsed() < PATIENCE, "charon made no VICI socket");
            std::thread::sleep(Duration::from_millis(50));
        }
        let charon = Charon { child, socket };
        charon.swanctl(
            &["--load-all", "--noprompt", "--file"],
            Some(&dir.join("swanctl.conf")),
        );
        charon
    }

    fn uri(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    fn swanctl(&self, args: &[&str], file: Option<&Path>) -> String {
        let mut cmd = Command::new("swanctl");
        cmd.args(args);
        if let Some(file) = file {
            cmd.arg(file);
        }
        let out = cmd.args(["--uri", &self.uri()]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Charon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SWANCTL_CONF: &str = "connections {
  branch-a {
    local_addrs = 127.0.0.1
    remote_addrs = 127.0.0.2
    version = 2
    local {
      auth = psk
      id = a.example
    }
    remote {
      auth = psk
      id = b.example
    }
    children {
      net-a {
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
      }
    }
  }
  branch-b {
    local_addrs = 127.0.0.1
    remote_addrs = 127.0.0.3
    version = 2
    local {
      auth = psk
      id = a.example
    }
    remote {
      auth = psk
      id = c.example
    }
    children {
      net-b {
        local_ts = 10.1.1.0/24
        remote_ts = 10.3.0.0/24
      }
    }
  }
}
secrets {
  ike-b {
    id = b.example
    secret = \"not-the-peers\"
  }
}
";

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_once("\r\n\r\n").unwrap().1.to_owned()
}

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(start.elapsed() < PATIENCE, "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watch_follows_a_real_charon_over_vici_across_a_restart() {
    if !charon_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("swanctl.conf"), SWANCTL_CONF).unwrap();
    let charon = Charon::start(dir.path());
    let uri = charon.uri();

    let mut watch = Command::new(BIN)
        .args([
            "watch",
            "--http",
            "127.0.0.1:0",
            "--vici",
            &uri,
            "--vici-host",
            "gw1",
        ])
        .args(["--vici-poll", "1", "--db"])
        .arg(dir.path().join("history.db"))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let said = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = said.clone();
    let stderr = watch.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let saw = |text: &str| {
        said.lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(text))
            .count()
    };
    let http = wait_for("watch's HTTP side", || {
        said.lock().unwrap().iter().find_map(|l| {
            l.split("status page on http://")
                .nth(1)
                .map(|rest| rest.split('/').next().unwrap().to_owned())
        })
    });
    let tunnels = || -> Vec<Value> {
        let v: Value = serde_json::from_str(&get(&http, "/api/tunnels")).unwrap();
        v["tunnels"].as_array().unwrap().clone()
    };
    let state_of = |tunnels: &[Value], name: &str| -> Option<String> {
        tunnels
            .iter()
            .find(|t| t["host"] == "gw1" && t["tunnel"] == name)
            .map(|t| t["state"].as_str().unwrap().to_owned())
    };

    // Both loaded connections are tunnels, down, though no line told of them.
    wait_for("both configured tunnels, down", || {
        let t = tunnels();
        (state_of(&t, "branch-a").as_deref() == Some("down")
            && state_of(&t, "branch-b").as_deref() == Some("down"))
        .then_some(())
    });
    assert!(saw("connected to charon") >= 1);
    let t = tunnels();
    let b = t.iter().find(|t| t["tunnel"] == "branch-b").unwrap();
    assert_eq!(b["configured"], true);
    assert_eq!(b["remote"], "127.0.0.3");

    // charon's own log events: initiating towards an address nobody
    // answers on makes branch-a a negotiation, read from VICI's log stream.
    charon.swanctl(&["--initiate", "--child", "net-a", "--timeout", "1"], None);
    wait_for("branch-a negotiating, from charon's log events", || {
        let t = tunnels();
        t.iter()
            .find(|t| t["host"] == "gw1" && t["tunnel"] == "branch-a")
            .filter(|t| t["negotiations"].as_u64() >= Some(1))
            .map(|_| ())
    });
    let metrics = get(&http, "/metrics");
    assert!(
        metrics.lines().any(|l| l.starts_with(&format!(
            "ipsec_doctor_lines_total{{source=\"vici:{uri}\"}}"
        )) && !l.ends_with(" 0")),
        "{metrics}"
    );

    // charon restarts: watch says it lost it, reconnects, and lists again.
    charon.stop();
    wait_for("watch noticing charon gone", || {
        (saw("reconnecting") >= 1).then_some(())
    });
    let charon = Charon::start(dir.path());
    wait_for("watch reconnected", || {
        (saw("connected to charon") >= 2).then_some(())
    });
    wait_for("branch-b listed again after the restart", || {
        state_of(&tunnels(), "branch-b").map(|_| ())
    });

    let _ = Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status();
    let status = watch.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{:?}", said.lock().unwrap());
    charon.stop();
}
