#!/usr/bin/env bash
# bench/workflows.sh: the workflows resource under load, in one run and with
# the machinery of bench/run.sh: (1) GET /api/v1/workflows/{slug}/ of a
# workflow of 50 nodes and 60 edges and GET /api/v1/workflows/?limit=50 with
# 10,000 workflows in the database, at 8 and 64 connections, as ratios to
# the trivial FastCGI responder of the same run (targets: detail >= 40%,
# list >= 50%); the detail also from a second pool that keeps no rendered
# details (PIPELIT_DETAIL_CACHE_KB=0), to show what rendering costs; (2) the
# list at 64 connections with 100, 10,000 and 100,000 workflows (target: p99
# < 20 ms at 100,000), and what reading the "total" costs by itself at each
# size, next to the count(*) it replaced.  SQLite; the rows are made with
# the sqlite3 CLI.  Never fails because a target is missed.
#
#   bench/workflows.sh [--duration SECONDS] [--quick]
#   PIPELIT_BIN=/path/to/pipelit bench/workflows.sh     (skip the build)
set -euo pipefail

# run.sh defines the functions and parses the options; it measures only
# when run itself.
. "$(dirname "${BASH_SOURCE[0]}")/run.sh" "$@"

. "$(dirname "${BASH_SOURCE[0]}")/api_client.sh"

DETAIL_SLUG=bench-detail
DETAIL_NODES=50
DETAIL_EDGES=60

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

# query_cost_ms OWNER WHAT: what one query costs alone, in ms: 2000 runs in
# one statement (the "+ 0 * i" keeps SQLite from running it once), timed by
# the sqlite3 CLI; no HTTP, no page.  WHAT is "total" (the list's total as
# it is read now: the owner's row of workflow_owner_totals, kept by
# triggers) or "count" (counting the owner's rows, as it was read before).
query_cost_ms() {
	local owner=$1 what=$2 runs=2000 q
	case $what in
	total) q="SELECT total FROM workflow_owner_totals WHERE owner_id = $owner + 0 * k.i" ;;
	count) q="SELECT count(*) FROM workflows WHERE owner_id = $owner + 0 * k.i" ;;
	esac
	sql -cmd '.timer on' <<<"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $runs)
		SELECT sum(($q)) FROM k;" |
		awk -v runs="$runs" '/^Run Time:/ { printf "%.4f\n", $4 * 1000 / runs }'
}

# The query plans of the list's page and total and of the detail's nodes
# and edges, to show which index serves them (and that nothing is sorted).
show_plans() {
	local owner=$1
	printf '\nQuery plans (SQLite):\n'
	sql "EXPLAIN QUERY PLAN SELECT * FROM workflows w WHERE w.owner_id = $owner ORDER BY w.id LIMIT 50 OFFSET 0" |
		sed 's/^/  list page:    /'
	sql "EXPLAIN QUERY PLAN SELECT total FROM workflow_owner_totals WHERE owner_id = $owner" |
		sed 's/^/  list total:   /'
	sql "EXPLAIN QUERY PLAN SELECT n.*, c.* FROM workflow_nodes n LEFT JOIN component_configs c
		ON c.id = n.component_config_id WHERE n.workflow_id = 1 ORDER BY n.id" | sed 's/^/  detail nodes: /'
	sql "EXPLAIN QUERY PLAN SELECT * FROM workflow_edges WHERE workflow_id = 1 ORDER BY id" |
		sed 's/^/  detail edges: /'
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

# answer_bytes URL [TOKEN]: the length of the body of a GET.
answer_bytes() {
	perl -MHTTP::Tiny -e '
		my ($url, $key) = @ARGV;
		my %h = $key ? (Authorization => "Bearer $key") : ();
		print length(HTTP::Tiny->new->get($url, { headers => \%h })->{content}), "\n";
	' "$@"
}

# The table's label of the list at SIZE workflows (8 characters at most).
size_label() {
	case $1 in
	*000000) echo "list${1%000000}M" ;;
	*000) echo "list${1%000}k" ;;
	*) echo "list$1" ;;
	esac
}

wf_main() {
	prepare
	command -v sqlite3 >/dev/null || ensure_packages sqlite3
	KEY=$("$PIPELIT_BIN" keygen)
	start_pool
	start_nocache_pool
	start_trivial
	local port_trivial base owner size base_nc
	start_nginx front "$WORK/pool.sock"
	base="http://127.0.0.1:$NGINX_PORT"
	start_nginx nocache "$WORK/nocache.sock"
	base_nc="http://127.0.0.1:$NGINX_PORT"
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
			# The same bytes as the detail's answer from a file: the
			# ceiling of nginx for an answer of that size.
			perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get($ARGV[0],
				{ headers => { Authorization => "Bearer $ARGV[1]" } })->{content}' \
				"$detail" "$API_KEY" >"$WORK/www/detail.json"
			for conns in 8 64; do
				WRK_EXTRA=()
				say "trivial responder, $conns connections"
				run_wrk trivial "$conns" "http://127.0.0.1:$port_trivial/health"
				WRK_EXTRA=(-H "Authorization: Bearer $API_KEY")
				say "nginx serving the detail's body as a static file, $conns connections"
				run_wrk file_det "$conns" "$base/detail.json"
				say "authenticated /api/v1/auth/me/ (the floor of any API call), $conns connections"
				run_wrk auth_me "$conns" "$base/api/v1/auth/me/"
				say "workflow detail (50 nodes, 60 edges), $conns connections"
				run_wrk detail "$conns" "$detail"
				say "workflow detail rendered every time (PIPELIT_DETAIL_CACHE_KB=0), $conns connections"
				run_wrk detail_nc "$conns" "$base_nc/api/v1/workflows/$DETAIL_SLUG/"
				say "workflow list, limit 50 of $size, $conns connections"
				run_wrk list "$conns" "$list"
			done
		fi
		WRK_EXTRA=(-H "Authorization: Bearer $API_KEY")
		say "workflow list, limit 50 of $size, 64 connections"
		run_wrk "$(size_label "$size")" 64 "$list"
		WRK_EXTRA=()
		echo "$size $(query_cost_ms "$owner" total) $(query_cost_ms "$owner" count)" >>"$WORK/scale"
	done
	print_table
	printf '\nAnswer bodies: detail %s bytes, list of 50 %s bytes, trivial responder %s bytes\n' \
		"$(answer_bytes "$detail" "$API_KEY")" "$(answer_bytes "$list" "$API_KEY")" \
		"$(answer_bytes "http://127.0.0.1:$port_trivial/health")"

	printf '\nList at 64 connections as the workflows grow (limit=50; "total" is read from\n'
	printf 'workflow_owner_totals; a count(*) of the owner'"'"'s rows, for comparison, is what it replaced):\n'
	printf '  %9s %10s %9s %9s %10s %12s\n' workflows req/s "p50 ms" "p99 ms" "total ms" "count(*) ms"
	while read -r size cost count; do
		printf '  %9s %10s %9s %9s %10s %12s\n' "$size" "$(field_of "$(size_label "$size")" 64 3)" \
			"$(field_of "$(size_label "$size")" 64 4)" "$(field_of "$(size_label "$size")" 64 5)" \
			"$cost" "$count"
	done <"$WORK/scale"
	show_plans "$owner"

	printf '\n'
	echo "auth_me: $(ratio_of auth_me)% of trivial (for reference: an authenticated call that reads one row)"
	echo "detail: $(ratio_of detail)% of trivial (target >= 40%; the lower of 8 and 64 connections)"
	echo "detail_nc: $(ratio_of detail_nc)% of trivial (the same, rendered on every request)"
	echo "list: $(ratio_of list)% of trivial with 10000 workflows (target >= 50%; the lower of 8 and 64 connections)"
	echo "list p99 at 64 connections with 100000 workflows: $(field_of list100k 64 5) ms (target < 20 ms)"
	echo "non-2xx answers: detail $(field_of detail 8 6)/$(field_of detail 64 6)," \
		"detail_nc $(field_of detail_nc 8 6)/$(field_of detail_nc 64 6)," \
		"list $(field_of list 8 6)/$(field_of list 64 6), list100k $(field_of list100k 64 6) (must be 0)"
	grep -hE '\[(ERROR|WARNING)\]|\[(error|crit|alert)\]' "$WORK/pool.log" "$WORK/front/error.log" 2>/dev/null |
		sed -E 's/^[0-9/: -]+//; s/\*[0-9]+ //; s/, client:.*request: / /; s/, upstream:.*//' |
		sort | uniq -c | sort -rn | head -5 || true
}

# A second pool on the same database that keeps no rendered details.
start_nocache_pool() {
	pool_env "$WORK/pool" PIPELIT_DETAIL_CACHE_KB=0 "$PIPELIT_BIN" serve --socket "$WORK/nocache.sock" \
		--pid-file "$WORK/nocache.pid" >"$WORK/nocache.log" 2>&1 &
	PIDS+=("$!")
	local deadline=$((SECONDS + 60))
	until [ -S "$WORK/nocache.sock" ] && [ -f "$WORK/nocache.pid" ]; do
		[ $SECONDS -lt $deadline ] || die "the second pool did not start: $(tail -5 "$WORK/nocache.log")"
		sleep 0.1
	done
	PIDS+=("$(cat "$WORK/nocache.pid")")
}

wf_main
