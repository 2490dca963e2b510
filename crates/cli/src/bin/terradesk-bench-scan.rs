//! `terradesk-bench-scan DIR`: New job's folder summary alone (the walk, each photo's signature
//! and EXIF segment, the summary), for bench/scan.sh. `terradesk-bench-scan --make DIR N BYTES`
//! writes N made-up photos first.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 && args[1] == "--make" {
        let (n, len): (usize, usize) = (args[3].parse().expect("N"), args[4].parse().expect("BYTES"));
        terradesk_sandbox::fixtures::write_photos(std::path::Path::new(&args[2]), n, len);
        return;
    }
    if args.len() != 2 {
        eprintln!("usage: terradesk-bench-scan DIR | terradesk-bench-scan --make DIR N BYTES");
        std::process::exit(2);
    }
    let dir = std::path::Path::new(&args[1]);
    let t = std::time::Instant::now();
    match terradesk_core::dataset::scan(dir) {
        Ok(ds) => {
            let s = terradesk_core::desk::DatasetSummary::of(&ds, dir);
            println!("{} files, {} photos ({} without EXIF), {} other, in {:.0} ms", s.file_count, s.photos, s.photos_without_exif, s.other_count, t.elapsed().as_secs_f64() * 1000.0);
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
