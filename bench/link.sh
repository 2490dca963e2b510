# An emulated field link (sourced by bench/uplink.sh; needs root): two network namespaces, td-c
# (the uploader) and td-s (the server), whose only path is a TUN device in each, carried by
# bench/linkemu, which holds every packet DELAY ms each way (netem is not in this kernel). tc's
# tbf limits each direction to RATE Mbit/s at the device, so packets queue before the delay, as
# at a real bottleneck. The two ends have loopback-range addresses (127.0.1.1 and 127.0.1.2,
# routed with route_localnet), so the sandbox's plain-http storage is "this computer" to the
# uploader as it is on loopback, while every packet crosses the emulated link.
#   link_up RATE DELAY | link_rate RATE | link_cut | link_restore | link_bytes | link_teardown

link_client=td-c link_server=td-s
link_client_ip=127.0.1.1 link_server_ip=127.0.1.2

link_teardown() {
  [ -f "$work/linkemu.pid" ] && kill "$(cat "$work/linkemu.pid")" 2>/dev/null || true
  rm -f "$work/linkemu.pid"
  ip netns del "$link_client" 2>/dev/null || true
  ip netns del "$link_server" 2>/dev/null || true
}

link_up() {
  local rate=$1 delay=$2
  link_teardown
  local emu="$root/bench/linkemu/target/release/linkemu"
  [ -x "$emu" ] || cargo build --release -q --manifest-path "$root/bench/linkemu/Cargo.toml"
  ip netns add "$link_client"; ip netns add "$link_server"
  ip netns exec "$link_client" ip tuntap add dev tdc mode tun
  ip netns exec "$link_server" ip tuntap add dev tds mode tun
  "$emu" "$link_client" tdc "$link_server" tds "$delay" > "$work/linkemu.log" 2>&1 &
  echo $! > "$work/linkemu.pid"
  for _ in $(seq 50); do grep -q ready "$work/linkemu.log" && break; sleep 0.1; done
  local side
  for side in "$link_client tdc $link_client_ip $link_server_ip" "$link_server tds $link_server_ip $link_client_ip"; do
    set -- $side
    ip netns exec "$1" ip link set lo up
    ip netns exec "$1" sysctl -qw net.ipv4.conf.all.route_localnet=1 "net.ipv4.conf.$2.route_localnet=1" \
      net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$2.rp_filter=0"
    # 127.0.0.0/8 is this namespace's only for 127.0.0.1: the peer's 127.0.1.x is across the link.
    ip netns exec "$1" ip route del local 127.0.0.0/8 dev lo table local
    ip netns exec "$1" ip route replace local 127.0.0.1 dev lo table local
    ip netns exec "$1" ip addr add "$3" peer "$4" dev "$2"
    ip netns exec "$1" ip link set "$2" up
  done
  link_rate "$rate"
}

# The rate of both directions, in Mbit/s; a queue of up to 200 ms at the bottleneck.
link_rate() {
  ip netns exec "$link_client" tc qdisc replace dev tdc root tbf rate "${1}mbit" burst 32kb latency 200ms
  ip netns exec "$link_server" tc qdisc replace dev tds root tbf rate "${1}mbit" burst 32kb latency 200ms
}

# Every packet dropped (a dead Wi-Fi) until link_restore.
link_cut() { kill -USR1 "$(cat "$work/linkemu.pid")"; }
link_restore() { kill -USR2 "$(cat "$work/linkemu.pid")"; }

# Bytes the uploader has sent into the link so far (IP packets, as tc counts them).
link_bytes() { ip netns exec "$link_client" tc -s qdisc show dev tdc | awk '/Sent/ { print $2; exit }'; }

on_client() { ip netns exec "$link_client" "$@"; }
on_server() { ip netns exec "$link_server" "$@"; }
