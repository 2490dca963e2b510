//! Points in the pipeline where a test can make TerraDesk stop dead, as a power cut would: the
//! test passes its [`Hooks`] to the [`crate::Desk`]; production code has none.

use serde::{Deserialize, Serialize};

/// Moments between two side effects of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Point {
    BeforeResourceCreate,
    AfterResourceCreate,
    AfterUpload,
    BeforeJobCreate,
    AfterJobCreate,
    BeforeStart,
    AfterStart,
    AfterDownload,
}

impl Point {
    pub const ALL: [Point; 8] = [
        Point::BeforeResourceCreate,
        Point::AfterResourceCreate,
        Point::AfterUpload,
        Point::BeforeJobCreate,
        Point::AfterJobCreate,
        Point::BeforeStart,
        Point::AfterStart,
        Point::AfterDownload,
    ];
}

/// What a test may do at a [`Point`].
pub trait Hooks: Send + Sync + 'static {
    /// `true` stops the job there and then: nothing more is saved, as if the process died.
    fn crash_at(&self, point: Point) -> bool {
        let _ = point;
        false
    }
}

/// Production: no hooks.
pub struct NoHooks;

impl Hooks for NoHooks {}

/// Crash once at one point (tests).
pub struct CrashOnce {
    point: Point,
    done: std::sync::atomic::AtomicBool,
}

impl CrashOnce {
    pub fn at(point: Point) -> Self {
        CrashOnce { point, done: Default::default() }
    }
}

impl Hooks for CrashOnce {
    fn crash_at(&self, point: Point) -> bool {
        point == self.point && !self.done.swap(true, std::sync::atomic::Ordering::SeqCst)
    }
}
