//! linkemu: the far end of an emulated field link. It owns one TUN device in each of two network
//! namespaces and carries every IP packet from one to the other, holding each for a fixed delay
//! (40 ms each way: an 80 ms round trip), since this kernel has no netem. The rate limit is tc's
//! (tbf on each TUN device's egress, set by bench/uplink.sh), so packets queue before the delay as
//! they do at a real bottleneck.
//!
//! SIGUSR1 takes the link down (every packet dropped, as when Wi-Fi drops), SIGUSR2 brings it up.
//!
//! Usage: linkemu NETNS_A DEV_A NETNS_B DEV_B DELAY_MS

use std::collections::VecDeque;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static DOWN: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    DOWN.store(sig == libc::SIGUSR1, Ordering::SeqCst);
}

const IFF_TUN: libc::c_short = 0x0001;
const IFF_NO_PI: libc::c_short = 0x1000;
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

#[repr(C)]
struct IfReq {
    name: [u8; 16],
    flags: libc::c_short,
    _pad: [u8; 22],
}

fn die(what: &str) -> ! {
    eprintln!("linkemu: {what}: {}", std::io::Error::last_os_error());
    std::process::exit(1);
}

/// Enter `netns` (by name, under /run/netns) and open the TUN device `dev` there, non-blocking.
fn open_tun_in(netns: &str, dev: &str) -> libc::c_int {
    let path = CString::new(format!("/run/netns/{netns}")).unwrap();
    unsafe {
        let ns = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if ns < 0 {
            die(&format!("open netns {netns}"));
        }
        if libc::setns(ns, libc::CLONE_NEWNET) != 0 {
            die(&format!("enter netns {netns}"));
        }
        libc::close(ns);
        let fd = libc::open(c"/dev/net/tun".as_ptr(), libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC);
        if fd < 0 {
            die("open /dev/net/tun");
        }
        let mut req = IfReq { name: [0; 16], flags: IFF_TUN | IFF_NO_PI, _pad: [0; 22] };
        req.name[..dev.len()].copy_from_slice(dev.as_bytes());
        if libc::ioctl(fd, TUNSETIFF as _, &mut req) != 0 {
            die(&format!("attach to {dev} in {netns}"));
        }
        fd
    }
}

/// Packets on their way in one direction: each with the time it may leave.
struct Pipe {
    from: libc::c_int,
    to: libc::c_int,
    queue: VecDeque<(Instant, Vec<u8>)>,
    carried: u64,
    dropped: u64,
}

impl Pipe {
    fn read_all(&mut self, delay: Duration, now: Instant) {
        loop {
            let mut buf = vec![0u8; 65_536];
            let n = unsafe { libc::read(self.from, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return;
            }
            if DOWN.load(Ordering::Relaxed) {
                self.dropped += 1;
                continue;
            }
            buf.truncate(n as usize);
            self.queue.push_back((now + delay, buf));
        }
    }

    fn deliver_due(&mut self, now: Instant) {
        if DOWN.load(Ordering::Relaxed) {
            self.dropped += self.queue.len() as u64;
            self.queue.clear();
            return;
        }
        while let Some((at, _)) = self.queue.front() {
            if *at > now {
                return;
            }
            let (_, p) = self.queue.pop_front().unwrap();
            let n = unsafe { libc::write(self.to, p.as_ptr().cast(), p.len()) };
            if n < 0 {
                self.dropped += 1;
            } else {
                self.carried += 1;
            }
        }
    }
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 5 {
        eprintln!("usage: linkemu NETNS_A DEV_A NETNS_B DEV_B DELAY_MS");
        std::process::exit(2);
    }
    let delay = Duration::from_micros((a[4].parse::<f64>().expect("DELAY_MS is a number") * 1000.0) as u64);
    let fa = open_tun_in(&a[0], &a[1]);
    let fb = open_tun_in(&a[2], &a[3]);
    unsafe {
        libc::signal(libc::SIGUSR1, on_signal as *const () as usize);
        libc::signal(libc::SIGUSR2, on_signal as *const () as usize);
    }
    let mut pipes = [
        Pipe { from: fa, to: fb, queue: VecDeque::new(), carried: 0, dropped: 0 },
        Pipe { from: fb, to: fa, queue: VecDeque::new(), carried: 0, dropped: 0 },
    ];
    println!("ready");
    let mut last_report = Instant::now();
    loop {
        let now = Instant::now();
        let next = pipes.iter().filter_map(|p| p.queue.front().map(|(t, _)| *t)).min();
        let wait = next.map(|t| t.saturating_duration_since(now)).unwrap_or(Duration::from_millis(100));
        let ts = libc::timespec { tv_sec: wait.as_secs() as _, tv_nsec: wait.subsec_nanos() as _ };
        let mut fds = [libc::pollfd { fd: fa, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: fb, events: libc::POLLIN, revents: 0 }];
        unsafe { libc::ppoll(fds.as_mut_ptr(), 2, &ts, std::ptr::null()) };
        let now = Instant::now();
        for p in pipes.iter_mut() {
            p.read_all(delay, now);
            p.deliver_due(now);
        }
        if std::env::var_os("LINKEMU_VERBOSE").is_some() && last_report.elapsed() > Duration::from_secs(5) {
            last_report = now;
            eprintln!("linkemu: a→b {} carried {} dropped, b→a {} carried {} dropped", pipes[0].carried, pipes[0].dropped, pipes[1].carried, pipes[1].dropped);
        }
    }
}
