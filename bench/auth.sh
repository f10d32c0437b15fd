#!/usr/bin/env bash
# bench/auth.sh: the cost of authentication, in one run and with the
# machinery of bench/run.sh: (1) authenticated GET /api/v1/auth/me/ (a
# named API key as a Bearer token) at 8 and 64 connections, as a ratio to
# the trivial FastCGI responder measured in the same run (target >= 70%);
# (2) logins per second (POST /api/v1/auth/token/, Argon2id: slow on
# purpose); (3) /health p99 alone and while logins saturate the pool, to
# show whether logins starve other requests; (4) the time of a failed login
# for a wrong password and for an unknown user, which must be alike (the
# unknown user pays for a dummy Argon2id check; t/e2e/20-auth.t proves that
# structurally).  Never fails because a target is missed.
#
#   bench/auth.sh [--duration SECONDS] [--quick]
#   PIPELIT_BIN=/path/to/pipelit bench/auth.sh     (skip the build)
set -euo pipefail

# run.sh defines the functions and parses the options; it measures only
# when run itself.
. "$(dirname "${BASH_SOURCE[0]}")/run.sh" "$@"

. "$(dirname "${BASH_SOURCE[0]}")/api_client.sh"

LOGIN_CONNS=8
LOGIN_SLOTS=2
# The failure timing below fails on purpose, again and again: the login
# throttle would answer 429 at once and spoil the comparison.
POOL_EXTRA_ENV=(PIPELIT_LOGIN_MAX_FAILURES=1000000 PIPELIT_LOGIN_ACCOUNT_MAX_FAILURES=1000000
	PIPELIT_LOGIN_ADDRESS_MAX_FAILURES=1000000)

# failure_timing BASE: median wall time of a wrong-password and of an
# unknown-user login, one request at a time, interleaved.
failure_timing() {
	local base=$1 i
	: >"$WORK/fail-wrong"
	: >"$WORK/fail-unknown"
	for i in $(seq 1 15); do
		curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
			-d "{\"username\":\"$BENCH_USER\",\"password\":\"wrong-$i\"}" \
			"$base/api/v1/auth/token/" >>"$WORK/fail-wrong"
		curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
			-d "{\"username\":\"ghost-$i\",\"password\":\"wrong-$i\"}" \
			"$base/api/v1/auth/token/" >>"$WORK/fail-unknown"
	done
	local wrong unknown
	wrong=$(sort -n "$WORK/fail-wrong" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] * 1000 }')
	unknown=$(sort -n "$WORK/fail-unknown" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] * 1000 }')
	echo "failed login: wrong password median $wrong ms, unknown user median $unknown ms" \
		"(ratio $(awk -v a="$wrong" -v b="$unknown" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'); expect about 1)"
}

write_login_script() {
	cat >"$WORK/login.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"$BENCH_USER","password":"$BENCH_PASSWORD"}'
EOF
}

field_of() {
	awk -v label="$1" -v conns="$2" -v col="$3" '$1 == label && $2 == conns { print $col }' "$WORK/results"
}

auth_ratio() {
	awk '
		$1 == "trivial" { t[$2] = $3 } $1 == "auth_me" { a[$2] = $3 }
		END {
			min = -1
			for (c in a) if (t[c] > 0) { r = 100 * a[c] / t[c]; if (min < 0 || r < min) min = r }
			printf "%.0f\n", min < 0 ? 0 : min
		}' "$WORK/results"
}

auth_main() {
	prepare
	KEY=$("$PIPELIT_BIN" keygen)
	start_pool
	start_trivial
	local port_pool port_trivial base
	start_nginx front "$WORK/pool.sock"
	port_pool=$NGINX_PORT
	start_nginx trivial "$WORK/trivial.sock"
	port_trivial=$NGINX_PORT
	base="http://127.0.0.1:$port_pool"
	make_api_key "$base"
	write_login_script
	: >"$WORK/results"
	for conns in 8 64; do
		say "trivial responder, $conns connections"
		run_wrk trivial "$conns" "http://127.0.0.1:$port_trivial/health"
		say "authenticated /api/v1/auth/me/, $conns connections"
		WRK_EXTRA=(-H "Authorization: Bearer $API_KEY")
		run_wrk auth_me "$conns" "$base/api/v1/auth/me/"
		WRK_EXTRA=()
	done
	print_table

	# Capacity: as many clients as there are password slots (the pool's
	# default, half of its 4 responders), so every login is served.
	say "logins, $LOGIN_SLOTS connections (one per password slot)"
	WRK_EXTRA=(-s "$WORK/login.lua")
	run_wrk login "$LOGIN_SLOTS" "$base/api/v1/auth/token/"
	say "logins, $LOGIN_CONNS connections (more clients than slots)"
	run_wrk login "$LOGIN_CONNS" "$base/api/v1/auth/token/"
	WRK_EXTRA=()
	say "/health alone, 8 connections"
	run_wrk health_alone 8 "$base/health"
	say "/health while logins run, 8 + $LOGIN_CONNS connections"
	command wrk -t1 -c"$LOGIN_CONNS" -d"$((DURATION + 2))s" -s "$WORK/login.lua" \
		"$base/api/v1/auth/token/" >"$WORK/login-bg.out" 2>&1 &
	local bg=$!
	sleep 1
	run_wrk health_busy 8 "$base/health"
	wait "$bg" || true

	local alone busy
	alone=$(field_of health_alone 8 5)
	busy=$(field_of health_busy 8 5)
	printf '\n'
	echo "auth_me: $(auth_ratio)% of trivial (target >= 70%; the lower of 8 and 64 connections)"
	echo "auth_me non-2xx answers: $(field_of auth_me 8 6) at 8, $(field_of auth_me 64 6) at 64 (must be 0)"
	# wrk ignores Retry-After: the 503s of a full password gate come back
	# at once and are retried at once, so count the logins that succeeded.
	echo "login capacity: $(field_of login "$LOGIN_SLOTS" 3) logins/s at $LOGIN_SLOTS connections" \
		"(Argon2id, slow on purpose; p50 $(field_of login "$LOGIN_SLOTS" 4) ms, non-2xx $(field_of login "$LOGIN_SLOTS" 6))"
	local rps non2xx ok_rps
	rps=$(field_of login "$LOGIN_CONNS" 3)
	non2xx=$(field_of login "$LOGIN_CONNS" 6)
	ok_rps=$(awk -v r="$rps" -v n="$non2xx" -v d="$DURATION" 'BEGIN { v = r - n / d; printf "%.0f", v < 0 ? 0 : v }')
	echo "login: $ok_rps successful logins/s at $LOGIN_CONNS connections (Argon2id, at most PIPELIT_PASSWORD_CHECKS at once);" \
		"$rps answers/s in all, $non2xx of them 503 'retry in a moment' from the password gate"
	echo "/health p99: $alone ms alone, $busy ms while logins run ($(awk -v a="$alone" -v b="$busy" 'BEGIN { printf "%.1f", (a > 0 ? b / a : 0) }')x);" \
		"req/s $(field_of health_alone 8 3) alone, $(field_of health_busy 8 3) during logins;" \
		"non-2xx $(field_of health_alone 8 6) alone, $(field_of health_busy 8 6) during logins"
	failure_timing "$base"
	# Where non-2xx answers came from, if any.
	grep -hE '\[(ERROR|WARNING)\]|\[(error|crit|alert)\]' "$WORK/pool.log" "$WORK/front/error.log" 2>/dev/null |
		sed -E 's/^[0-9/: -]+//; s/\*[0-9]+ //; s/, client:.*request: / /; s/, upstream:.*//' |
		sort | uniq -c | sort -rn | head -5 || true
}

auth_main
