# bench/n8n.sh: n8n as the peer of bench/engine.sh, in the same run.
# Sourced after run.sh.  n8n 2.8.4 (the newest that runs on Node 20) is
# installed with npm into PIPELIT_BENCH_N8N_DIR (default
# ~/.cache/pipelit-bench/n8n, outside the repository), its xlsx dependency
# pinned by an npm override to the registry's 0.18.5.  The workflow:
# Webhook (POST /webhook/bench, answered by the Respond node) -> Set ->
# Respond to Webhook, imported with n8n's CLI and published; n8n keeps
# its defaults (SQLite, every execution saved).  n8n_bench sets N8N_RPS,
# N8N_P50, N8N_P99 (ms), N8N_BAD, N8N_MEM_MB (PSS) and N8N_RSS_MB, or
# N8N_NOTE saying why nothing was measured.

N8N_VERSION=2.8.4
N8N_DIR=${PIPELIT_BENCH_N8N_DIR:-$HOME/.cache/pipelit-bench/n8n}
N8N_PID=
N8N_SERVER_PID=
N8N_NOTE=

n8n_env() {
	env -i PATH="$PATH" HOME="$WORK/n8n-home" N8N_USER_FOLDER="$WORK/n8n" N8N_PORT="$N8N_PORT" \
		N8N_LISTEN_ADDRESS=127.0.0.1 N8N_DIAGNOSTICS_ENABLED=false \
		N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false \
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false N8N_SECURE_COOKIE=false \
		N8N_LOG_LEVEL=warn N8N_RUNNERS_ENABLED=true "$@"
}

n8n_cli() { n8n_env node "$N8N_DIR/node_modules/n8n/bin/n8n" "$@"; }

# Installs n8n when it is not there yet; 1 (with N8N_NOTE) when it cannot be.
n8n_install() {
	command -v node >/dev/null && command -v npm >/dev/null || {
		N8N_NOTE="node and npm are not installed (apt-get install nodejs npm)"
		return 1
	}
	local major
	major=$(node -p 'process.versions.node.split(".")[0]')
	if [ "$major" -lt 20 ]; then
		N8N_NOTE="node $(node --version) is older than n8n $N8N_VERSION needs (20)"
		return 1
	fi
	if [ "$(node -p "try { require('$N8N_DIR/node_modules/n8n/package.json').version } catch (e) { '' }")" = "$N8N_VERSION" ]; then
		return 0
	fi
	mkdir -p "$N8N_DIR"
	cat >"$N8N_DIR/package.json" <<EOF
{
  "name": "pipelit-bench-n8n",
  "private": true,
  "dependencies": { "n8n": "$N8N_VERSION" },
  "overrides": { "xlsx": "0.18.5" }
}
EOF
	say "installing n8n $N8N_VERSION into $N8N_DIR (once; several minutes)"
	if ! (cd "$N8N_DIR" && npm install --no-audit --no-fund --loglevel=error >"$N8N_DIR/install.log" 2>&1); then
		N8N_NOTE="npm install n8n@$N8N_VERSION failed: $(grep -m1 -i 'err' "$N8N_DIR/install.log" | cut -c1-160)"
		return 1
	fi
}

n8n_workflow_json() {
	cat <<'EOF'
[{
  "id": "PipelitBench00001",
  "name": "bench",
  "active": false,
  "settings": { "executionOrder": "v1" },
  "nodes": [
    { "id": "0f5d2c52-6a5c-4b8e-9a43-6f0e6f3b2a01", "name": "Webhook", "type": "n8n-nodes-base.webhook",
      "typeVersion": 2, "position": [0, 0], "webhookId": "5a7e1f0c-2d64-4f39-8f0b-3c9d6b1e7a22",
      "parameters": { "httpMethod": "POST", "path": "bench", "responseMode": "responseNode", "options": {} } },
    { "id": "1c2b3a4d-5e6f-4a7b-8c9d-0e1f2a3b4c02", "name": "Set", "type": "n8n-nodes-base.set",
      "typeVersion": 3.4, "position": [220, 0],
      "parameters": { "mode": "manual", "assignments": { "assignments": [
        { "id": "7d1f9a3e-1111-4c2b-9e8d-2a3b4c5d6e03", "name": "output", "value": "done", "type": "string" } ] },
        "options": {} } },
    { "id": "2d3c4b5a-6f7e-4b8c-9d0e-1f2a3b4c5d04", "name": "Respond to Webhook",
      "type": "n8n-nodes-base.respondToWebhook", "typeVersion": 1.1, "position": [440, 0],
      "parameters": { "respondWith": "firstIncomingItem", "options": {} } }
  ],
  "connections": {
    "Webhook": { "main": [[{ "node": "Set", "type": "main", "index": 0 }]] },
    "Set": { "main": [[{ "node": "Respond to Webhook", "type": "main", "index": 0 }]] }
  }
}]
EOF
}

descendants_of() {
	local pid
	for pid in $(children_of "$1"); do
		echo "$pid"
		descendants_of "$pid"
	done
}

# PSS and RSS of n8n's process tree, in kB.
n8n_mem_kb() {
	local pid pss rss tp=0 tr=0
	for pid in "$N8N_SERVER_PID" $(descendants_of "$N8N_SERVER_PID"); do
		read -r pss rss < <(mem_of "$pid")
		tp=$((tp + pss))
		tr=$((tr + rss))
	done
	echo "$tp $tr"
}

n8n_start() {
	N8N_PORT=$(free_port)
	mkdir -p "$WORK/n8n" "$WORK/n8n-home"
	n8n_workflow_json >"$WORK/n8n-workflow.json"
	n8n_cli import:workflow --input="$WORK/n8n-workflow.json" >"$WORK/n8n-import.log" 2>&1 || {
		N8N_NOTE="n8n import:workflow failed: $(tail -1 "$WORK/n8n-import.log" | cut -c1-160)"
		return 1
	}
	n8n_cli publish:workflow --id=PipelitBench00001 >"$WORK/n8n-publish.log" 2>&1 || {
		N8N_NOTE="n8n publish:workflow failed: $(tail -1 "$WORK/n8n-publish.log" | cut -c1-160)"
		return 1
	}
	# env execs node: $! is n8n's main process (its task runner is a child).
	n8n_env node "$N8N_DIR/node_modules/n8n/bin/n8n" start >"$WORK/n8n.log" 2>&1 &
	N8N_PID=$!
	local deadline=$((SECONDS + 300)) status=
	while [ $SECONDS -lt $deadline ]; do
		status=$(webhook_route_status "http://127.0.0.1:$N8N_PORT/webhook/bench" 2>/dev/null || true)
		if [ "$status" = 200 ]; then
			# n8n's launcher may start the server as another process:
			# the server is whoever listens on the port.
			N8N_SERVER_PID=$(ss -ltnpH "sport = :$N8N_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
			return 0
		fi
		sleep 1
	done
	N8N_NOTE="n8n did not answer its webhook within 300 s (last status ${status:-none}): $(grep -v '^$' "$WORK/n8n.log" | tail -1 | cut -c1-160)"
	return 1
}

n8n_stop() {
	[ -n "$N8N_PID" ] || return 0
	local pids
	pids="$N8N_PID $(descendants_of "$N8N_PID")"
	[ -n "$N8N_SERVER_PID" ] && pids="$pids $N8N_SERVER_PID $(descendants_of "$N8N_SERVER_PID")"
	# shellcheck disable=SC2086 # a list of pids
	kill -TERM $pids 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "${N8N_SERVER_PID:-$N8N_PID}" 2>/dev/null || break
		sleep 0.2
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	N8N_PID= N8N_SERVER_PID=
}

n8n_bench() {
	n8n_install || { say "n8n: $N8N_NOTE"; return 0; }
	say "n8n: starting $N8N_VERSION"
	n8n_start || { say "n8n: $N8N_NOTE"; n8n_stop; return 0; }
	say "n8n: synchronous webhook, wrk -c$SYNC_CONNS ${DURATION}s"
	local sampler max=0
	: >"$WORK/n8n.mem"
	(while :; do n8n_mem_kb >>"$WORK/n8n.mem"; sleep 0.5; done) &
	sampler=$!
	WRK_EXTRA=(-s "$WORK/post.lua")
	run_wrk n8n "$SYNC_CONNS" "http://127.0.0.1:$N8N_PORT/webhook/bench"
	WRK_EXTRA=()
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	N8N_RPS=$(wrk_field n8n 3) N8N_P50=$(wrk_field n8n 4) N8N_P99=$(wrk_field n8n 5) N8N_BAD=$(wrk_field n8n 6)
	read -r N8N_MEM_MB N8N_RSS_MB < <(sort -n "$WORK/n8n.mem" | tail -1 |
		awk '{ printf "%.0f %.0f\n", $1 / 1024, $2 / 1024 }')
	n8n_stop
}
