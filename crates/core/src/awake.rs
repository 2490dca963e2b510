//! Keeps the computer awake while an upload or download runs (a two-hour upload must not end in
//! sleep at minute 20), with the system's own inhibitor: on Linux systemd-logind's
//! `Inhibit("sleep:idle")` on the system bus and the desktop's `org.freedesktop.ScreenSaver`
//! on the session bus (whichever answer); on Windows and macOS the `keepawake` crate
//! (`SetThreadExecutionState`, an IOKit power assertion). Released when the transfers end.

use serde::{Deserialize, Serialize};

/// Whether the computer is kept awake now, as the app says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum AwakeState {
    /// Nothing transfers: the computer sleeps as usual.
    Idle,
    /// Kept awake while files transfer, by `how` (`logind`, `screensaver`, `system`).
    Held { how: Vec<String> },
    /// Files transfer, but the system refused to keep it awake (why, in English).
    Failed { why: String },
}

/// Held while it lives; dropping it lets the computer sleep again.
pub struct Guard {
    #[cfg(target_os = "linux")]
    session: Option<(zbus::blocking::Connection, u32)>,
    #[cfg(target_os = "linux")]
    _logind: Option<zbus::zvariant::OwnedFd>,
    #[cfg(not(target_os = "linux"))]
    _inner: keepawake::KeepAwake,
    pub how: Vec<String>,
}

const WHY: &str = "Uploading or downloading a survey";

#[cfg(target_os = "linux")]
pub fn hold() -> Result<Guard, String> {
    use zbus::blocking::Connection;
    let mut errors = Vec::new();
    let mut how = Vec::new();
    let logind = Connection::system()
        .and_then(|c| c.call_method(Some("org.freedesktop.login1"), "/org/freedesktop/login1", Some("org.freedesktop.login1.Manager"), "Inhibit", &("sleep:idle", "TerraDesk", WHY, "block")))
        .and_then(|m| m.body().deserialize::<zbus::zvariant::OwnedFd>().map_err(zbus::Error::from));
    let logind = match logind {
        Ok(fd) => {
            how.push("logind".to_string());
            Some(fd)
        }
        Err(e) => {
            errors.push(format!("logind: {e}"));
            None
        }
    };
    let session = Connection::session().and_then(|c| {
        let cookie = c
            .call_method(Some("org.freedesktop.ScreenSaver"), "/org/freedesktop/ScreenSaver", Some("org.freedesktop.ScreenSaver"), "Inhibit", &("TerraDesk", WHY))?
            .body()
            .deserialize::<u32>()?;
        Ok((c, cookie))
    });
    let session = match session {
        Ok(s) => {
            how.push("screensaver".to_string());
            Some(s)
        }
        Err(e) => {
            errors.push(format!("screensaver: {e}"));
            None
        }
    };
    if how.is_empty() {
        return Err(errors.join("; "));
    }
    Ok(Guard { session, _logind: logind, how })
}

#[cfg(target_os = "linux")]
impl Drop for Guard {
    fn drop(&mut self) {
        if let Some((c, cookie)) = self.session.take() {
            let _ = c.call_method(Some("org.freedesktop.ScreenSaver"), "/org/freedesktop/ScreenSaver", Some("org.freedesktop.ScreenSaver"), "UnInhibit", &(cookie,));
        }
        // logind's inhibitor ends when its descriptor closes (dropped with the guard).
    }
}

#[cfg(not(target_os = "linux"))]
pub fn hold() -> Result<Guard, String> {
    let inner = keepawake::Builder::default().idle(true).sleep(true).reason(WHY).app_name("TerraDesk").app_reverse_domain("com.terradesk.app").create().map_err(|e| e.to_string())?;
    Ok(Guard { _inner: inner, how: vec!["system".to_string()] })
}
