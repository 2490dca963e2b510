// Included by the CLI's and the app's build scripts: the commit they are built from, as the
// `TERRADESK_COMMIT` compile-time variable (for `terradesk --version` and the app's About). A build
// outside a git checkout (a source tarball) takes `TERRADESK_COMMIT` from the environment, or says
// "unknown".

fn git(dir: &std::path::Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}

fn emit_commit() {
    println!("cargo:rerun-if-env-changed=TERRADESK_COMMIT");
    let dir = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let commit = std::env::var("TERRADESK_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| git(&dir, &["rev-parse", "--short=9", "HEAD"]));
    if let Some(git_dir) = git(&dir, &["rev-parse", "--absolute-git-dir"]) {
        // Built again when HEAD moves (a commit, a checkout), not on every build.
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        println!("cargo:rerun-if-changed={git_dir}/packed-refs");
        if let Some(head_ref) = git(&dir, &["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={git_dir}/{head_ref}");
        }
    }
    println!("cargo:rustc-env=TERRADESK_COMMIT={}", commit.unwrap_or_else(|| "unknown".into()));
}
