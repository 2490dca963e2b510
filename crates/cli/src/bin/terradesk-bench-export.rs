//! `terradesk-bench-export KIND DIR OUT.zip`: the Terra ZIP export alone, for bench/export.sh.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: terradesk-bench-export 2d|3d|lidar DIR OUT.zip");
        std::process::exit(2);
    }
    let kind: terradesk_core::jobs::JobKind = args[1].parse().expect("kind");
    let control = terradesk_core::control::Control::default();
    let tracker = terradesk_core::progress::Tracker::new(terradesk_core::progress::Phase::Export, 0, 0);
    match terradesk_core::results::export_terra_zip(kind, std::path::Path::new(&args[2]), std::path::Path::new(&args[3]), None, &control, &tracker) {
        Ok(r) => println!("{} entries, {} bytes", r.entries, r.bytes),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
