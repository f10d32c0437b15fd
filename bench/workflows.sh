#!/usr/bin/env bash
# bench/workflows.sh: the workflows resource under load, in one run and with
# the machinery of bench/run.sh: (1) GET /api/v1/workflows/{slug}/ of a
# workflow of 50 nodes and 60 edges and GET /api/v1/workflows/?limit=50 with
# 10,000 workflows in the database, at 8 and 64 connections, as ratios to
# the trivial FastCGI responder of the same run (targets: detail >= 40%,
# list >= 50%); (2) the list at 64 connections with 100, 10,000 and 100,000
# workflows (target: p99 < 20 ms at 100,000), and what the "total" count
# costs by itself at each size.  SQLite; the rows are made with the sqlite3
# CLI.  Never fails because a target is missed.
#
#   bench/workflows.sh [--duration SECONDS] [--quick]
#   PIPELIT_BIN=/path/to/pipelit bench/workflows.sh     (skip the build)
set -euo pipefail

# run.sh defines the functions and parses the options; it measures only
# when run itself.
. "$(dirname "${BASH_SOURCE[0]}")/run.sh" "$@"

BENCH_USER=bench
BENCH_PASSWORD=bench-password-1
DETAIL_SLUG=bench-detail
DETAIL_NODES=50
DETAIL_EDGES=60

WRK_EXTRA=()
wrk() { command wrk ${WRK_EXTRA[@]+"${WRK_EXTRA[@]}"} "$@"; }

# post_key URL JSON [TOKEN]: prints the field "key" of the JSON answer.
post_key() {
	perl -MHTTP::Tiny -MJSON::PP -e '
		my ($url, $body, $token) = @ARGV;
		my %h = ("Content-Type" => "application/json");
		$h{Authorization} = "Bearer $token" if $token;
		my $r = HTTP::Tiny->new->post($url, { headers => \%h, content => $body });
		die "$url: $r->{status} $r->{content}\n" unless $r->{status} =~ /^20/;
		print decode_json($r->{content})->{key}, "\n";
	' "$@"
}

make_api_key() {
	local base=$1 session
	pool_env "$WORK/pool" "$PIPELIT_BIN" user create --username "$BENCH_USER" \
		--password "$BENCH_PASSWORD" --role normal >"$WORK/user.log" 2>&1 ||
		die "pipelit user create failed: $(cat "$WORK/user.log")"
	session=$(post_key "$base/api/v1/auth/token/" \
		"{\"username\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\"}") || die "login failed"
	API_KEY=$(post_key "$base/api/v1/users/me/keys" '{"name":"bench"}' "$session") ||
		die "creating an API key failed"
}

db_file() { echo "$WORK/pool/db.sqlite3"; }

sql() { sqlite3 -cmd '.timeout 10000' "$(db_file)" "$@"; }

owner_id() {
	sql "SELECT id FROM user_profiles WHERE username = '$BENCH_USER'"
}

# The detail workflow: nodes of one type with a config each (ids far above
# anything the API made), a chain of edges plus a few forward jumps.
make_detail_workflow() {
	local owner=$1
	sql <<EOF
BEGIN;
INSERT INTO workflows (name, slug, owner_id, description)
	VALUES ('Bench detail', '$DETAIL_SLUG', $owner, 'fifty nodes, sixty edges');
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $DETAIL_NODES)
INSERT INTO component_configs (id, component_type, extra_config, code_language, code_snippet)
	SELECT 900000000 + i, 'code', '{}', 'python', 'print(' || i || ')' FROM k;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $DETAIL_NODES)
INSERT INTO workflow_nodes (workflow_id, node_id, label, component_type, component_config_id,
		position_x, position_y)
	SELECT (SELECT id FROM workflows WHERE slug = '$DETAIL_SLUG'), 'code_' || i, 'Step ' || i,
		'code', 900000000 + i, 200 * i, 100 * (i % 5) FROM k;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $DETAIL_EDGES)
INSERT INTO workflow_edges (workflow_id, source_node_id, target_node_id, edge_type)
	SELECT (SELECT id FROM workflows WHERE slug = '$DETAIL_SLUG'),
		'code_' || (CASE WHEN i < $DETAIL_NODES THEN i ELSE i - $DETAIL_NODES + 1 END),
		'code_' || (CASE WHEN i < $DETAIL_NODES THEN i + 1 ELSE i - $DETAIL_NODES + 3 END),
		'direct' FROM k;
COMMIT;
EOF
}

# fill_workflows OWNER UPTO: adds plain workflows until the bench user owns UPTO.
fill_workflows() {
	local owner=$1 upto=$2 have
	have=$(sql "SELECT count(*) FROM workflows WHERE owner_id = $owner")
	[ "$have" -lt "$upto" ] || return 0
	sql <<EOF
BEGIN;
WITH RECURSIVE k(i) AS (SELECT $have + 1 UNION ALL SELECT i + 1 FROM k WHERE i < $upto)
INSERT INTO workflows (name, slug, owner_id, description, tags)
	SELECT 'Workflow ' || i, 'bench-wf-' || i, $owner, 'benchmark workflow number ' || i,
		'["bench"]' FROM k;
COMMIT;
ANALYZE;
EOF
}

# total_cost_ms OWNER: the median time of the list's count query alone, in
# ms, from the sqlite3 CLI's timer (no HTTP, no page).
total_cost_ms() {
	local owner=$1 i script=
	for i in 1 2 3 4 5 6 7; do
		script+="SELECT count(*) FROM workflows WHERE owner_id = $owner;"$'\n'
	done
	sql -cmd '.timer on' <<<"$script" | awk '/^Run Time:/ { print $4 * 1000 }' |
		sort -n | awk '{ v[NR] = $1 } END { printf "%.3f\n", NR ? v[int((NR + 1) / 2)] : 0 }'
}

# The query plan of the list's page and count, to show which index serves them.
show_plans() {
	local owner=$1
	printf '\nQuery plans (SQLite) of the list:\n'
	sql "EXPLAIN QUERY PLAN SELECT * FROM workflows WHERE owner_id = $owner ORDER BY id LIMIT 50 OFFSET 0" |
		sed 's/^/  page:  /'
	sql "EXPLAIN QUERY PLAN SELECT count(*) FROM workflows WHERE owner_id = $owner" | sed 's/^/  total: /'
	sql "EXPLAIN QUERY PLAN SELECT count(*) FROM workflow_edges WHERE workflow_id = 1" | sed 's/^/  edges: /'
}

field_of() {
	awk -v label="$1" -v conns="$2" -v col="$3" '$1 == label && $2 == conns { print $col }' "$WORK/results"
}

ratio_of() {
	awk -v label="$1" '
		$1 == "trivial" { t[$2] = $3 } $1 == label { a[$2] = $3 }
		END {
			min = -1
			for (c in a) if (t[c] > 0) { r = 100 * a[c] / t[c]; if (min < 0 || r < min) min = r }
			printf "%.0f\n", min < 0 ? 0 : min
		}' "$WORK/results"
}

check_answer() {
	local url=$1 want=$2
	perl -MHTTP::Tiny -e '
		my ($url, $key, $want) = @ARGV;
		my $r = HTTP::Tiny->new->get($url, { headers => { Authorization => "Bearer $key" } });
		die "$url: $r->{status} $r->{content}\n" unless $r->{status} == 200;
		die "$url: the answer lacks $want\n" unless index($r->{content}, $want) >= 0;
	' "$url" "$API_KEY" "$want" || die "unexpected answer from $url"
}

wf_main() {
	prepare
	command -v sqlite3 >/dev/null || ensure_packages sqlite3
	KEY=$("$PIPELIT_BIN" keygen)
	start_pool
	start_trivial
	local port_trivial base owner size
	start_nginx front "$WORK/pool.sock"
	base="http://127.0.0.1:$NGINX_PORT"
	start_nginx trivial "$WORK/trivial.sock"
	port_trivial=$NGINX_PORT
	make_api_key "$base"
	owner=$(owner_id)
	[ -n "$owner" ] || die "no user $BENCH_USER in $(db_file)"
	make_detail_workflow "$owner"
	local detail="$base/api/v1/workflows/$DETAIL_SLUG/" list="$base/api/v1/workflows/?limit=50"
	check_answer "$detail" '"code_50"'
	: >"$WORK/results"
	: >"$WORK/scale"

	# List latency at 64 connections as the table grows; the 10,000 step
	# also measures the detail and both at 8 connections.
	for size in 100 10000 100000; do
		say "filling to $size workflows"
		fill_workflows "$owner" "$size"
		check_answer "$list" "\"total\":$size"
		if [ "$size" = 10000 ]; then
			for conns in 8 64; do
				WRK_EXTRA=()
				say "trivial responder, $conns connections"
				run_wrk trivial "$conns" "http://127.0.0.1:$port_trivial/health"
				WRK_EXTRA=(-H "Authorization: Bearer $API_KEY")
				say "workflow detail (50 nodes, 60 edges), $conns connections"
				run_wrk detail "$conns" "$detail"
				say "workflow list, limit 50 of $size, $conns connections"
				run_wrk list "$conns" "$list"
			done
		fi
		WRK_EXTRA=(-H "Authorization: Bearer $API_KEY")
		say "workflow list, limit 50 of $size, 64 connections"
		run_wrk "list_$size" 64 "$list"
		WRK_EXTRA=()
		echo "$size $(total_cost_ms "$owner")" >>"$WORK/scale"
	done
	print_table

	printf '\nList at 64 connections as the workflows grow (limit=50; "total" is one count over the owner index):\n'
	printf '  %9s %10s %9s %9s %14s\n' workflows req/s "p50 ms" "p99 ms" "count(*) ms"
	while read -r size cost; do
		printf '  %9s %10s %9s %9s %14s\n' "$size" "$(field_of "list_$size" 64 3)" \
			"$(field_of "list_$size" 64 4)" "$(field_of "list_$size" 64 5)" "$cost"
	done <"$WORK/scale"
	show_plans "$owner"

	printf '\n'
	echo "detail: $(ratio_of detail)% of trivial (target >= 40%; the lower of 8 and 64 connections)"
	echo "list: $(ratio_of list)% of trivial with 10000 workflows (target >= 50%; the lower of 8 and 64 connections)"
	echo "list p99 at 64 connections with 100000 workflows: $(field_of list_100000 64 5) ms (target < 20 ms)"
	echo "non-2xx answers: detail $(field_of detail 8 6)/$(field_of detail 64 6)," \
		"list $(field_of list 8 6)/$(field_of list 64 6), list_100000 $(field_of list_100000 64 6) (must be 0)"
	grep -hE '\[(ERROR|WARNING)\]|\[(error|crit|alert)\]' "$WORK/pool.log" "$WORK/front/error.log" 2>/dev/null |
		sed -E 's/^[0-9/: -]+//; s/\*[0-9]+ //; s/, client:.*request: / /; s/, upstream:.*//' |
		sort | uniq -c | sort -rn | head -5 || true
}

wf_main
