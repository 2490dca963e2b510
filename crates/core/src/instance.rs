//! One app per data folder. The first app to start holds a lock on `app.lock` in the data folder
//! for its whole life (the OS drops it when the process ends, however it ends) and listens on a
//! loopback port written, with a random token, to `app.instance` (readable by this user only). A
//! second launch finds the lock taken, hands its command line (folders dropped on the app's
//! icon, for instance) to the first through that port, and exits before it opens the database:
//! never two engines on one database.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What a later launch asked of the running app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    /// Its command line, without the program's name.
    pub args: Vec<String>,
    /// Its working directory (relative paths in `args` are relative to it).
    pub cwd: String,
}

impl Launch {
    /// The launch of this process.
    pub fn this() -> Launch {
        Launch { args: std::env::args().skip(1).collect(), cwd: std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default() }
    }

    /// [`Launch::folders`] as the page takes them.
    pub fn folder_names(&self) -> Vec<String> {
        self.folders().iter().map(|p| p.display().to_string()).collect()
    }

    /// The folders it names (arguments that are existing folders; options are ignored), absolute.
    pub fn folders(&self) -> Vec<PathBuf> {
        self.args
            .iter()
            .filter(|a| !a.starts_with('-'))
            .map(|a| {
                let p = PathBuf::from(a);
                if p.is_absolute() {
                    p
                } else {
                    Path::new(&self.cwd).join(p)
                }
            })
            .filter(|p| p.is_dir())
            .collect()
    }
}

#[derive(Serialize, Deserialize)]
struct Address {
    port: u16,
    token: String,
    pid: u32,
}

#[derive(Serialize, Deserialize)]
struct Message {
    token: String,
    launch: Launch,
}

/// The first app on a data folder: later launches arrive on `launches` for as long as it lives.
pub struct Instance {
    _lock: File,
    pub launches: mpsc::Receiver<Launch>,
}

pub enum Claim {
    /// No other app runs on this data folder: this one is it.
    First(Instance),
    /// Another app runs on it and was handed this launch (its window comes forward).
    Handed,
    /// Another app holds it but did not answer (hung, or ending): why, in English.
    Busy(String),
}

/// Take the data folder for this app, or hand `launch` to the app that has it. An app that is
/// starting (its lock taken, its address not written yet) or ending (its lock not yet dropped) is
/// waited for a few seconds.
pub fn claim(data_dir: &Path, launch: &Launch) -> Result<Claim> {
    std::fs::create_dir_all(data_dir).map_err(|e| Error::storage("create the folder", data_dir, e))?;
    let lock_path = data_dir.join("app.lock");
    let lock = File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| Error::storage("open", &lock_path, e))?;
    let until = Instant::now() + Duration::from_secs(10);
    let mut why;
    loop {
        match lock.try_lock() {
            Ok(()) => {
                let (tx, rx) = mpsc::channel();
                listen(data_dir, tx)?;
                return Ok(Claim::First(Instance { _lock: lock, launches: rx }));
            }
            Err(std::fs::TryLockError::WouldBlock) => match try_hand(&data_dir.join("app.instance"), launch) {
                Ok(()) => return Ok(Claim::Handed),
                Err(e) => why = e,
            },
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::storage("lock", &lock_path, e)),
        }
        if Instant::now() >= until {
            return Ok(Claim::Busy(format!(
                "TerraDesk is already running on {}, but did not answer ({why}). Close it, or end it in the task manager, and try again.",
                data_dir.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn listen(data_dir: &Path, tx: mpsc::Sender<Launch>) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| Error::internal(format!("a local port for later launches: {e}")))?;
    let port = listener.local_addr().map_err(Error::internal)?.port();
    let token = hex::encode(rand::random::<[u8; 16]>());
    let address = serde_json::to_vec(&Address { port, token: token.clone(), pid: std::process::id() }).expect("address serialises");
    let path = data_dir.join("app.instance");
    crate::settings::write_atomically(&path, &address)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    std::thread::Builder::new()
        .name("later-launches".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut line = String::new();
                let mut reader = BufReader::new(&stream);
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Only a launch that read the token from this user's data folder is heard.
                match serde_json::from_str::<Message>(&line) {
                    Ok(m) if m.token == token => {
                        let _ = (&stream).write_all(b"ok\n");
                        if tx.send(m.launch).is_err() {
                            return;
                        }
                    }
                    _ => tracing::warn!("a connection to the later-launch port without the token was ignored"),
                }
            }
        })
        .map_err(Error::internal)?;
    Ok(())
}

fn try_hand(path: &Path, launch: &Launch) -> std::result::Result<(), String> {
    let a: Address = serde_json::from_slice(&std::fs::read(path).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], a.port).into(), Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    let mut line = serde_json::to_string(&Message { token: a.token, launch: launch.clone() }).expect("message serialises");
    line.push('\n');
    s.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    BufReader::new(&s).read_line(&mut answer).map_err(|e| e.to_string())?;
    (answer.trim() == "ok").then_some(()).ok_or_else(|| format!("it answered {answer:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_hands_its_launch_to_the_first_and_the_lock_goes_with_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("survey");
        std::fs::create_dir_all(&folder).unwrap();
        let Claim::First(first) = claim(dir.path(), &Launch::this()).unwrap() else { panic!("the first claim is first") };
        let launch = Launch { args: vec!["--flag".into(), "survey".into(), "missing".into()], cwd: dir.path().display().to_string() };
        assert!(matches!(claim(dir.path(), &launch).unwrap(), Claim::Handed));
        let got = first.launches.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got, launch);
        assert_eq!(got.folders(), vec![folder.clone()], "only existing folders, made absolute");
        // A stranger without the token is not heard.
        let a: Address = serde_json::from_slice(&std::fs::read(dir.path().join("app.instance")).unwrap()).unwrap();
        let mut s = TcpStream::connect(("127.0.0.1", a.port)).unwrap();
        s.write_all(b"{\"token\":\"guess\",\"launch\":{\"args\":[],\"cwd\":\"\"}}\n").unwrap();
        assert!(first.launches.recv_timeout(Duration::from_millis(500)).is_err());
        // The first gone, the next launch is first again.
        drop(first);
        assert!(matches!(claim(dir.path(), &Launch::this()).unwrap(), Claim::First(_)));
    }
}
