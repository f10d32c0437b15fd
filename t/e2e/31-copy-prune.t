# `pipelit db copy` and `pipelit db prune`.
#
# Copy: an SQLite database with users, an API key, a credential (made
# through the API), workflows with self references, a code block cycle,
# executions and logs (by SQL: the workflow API does not exist yet) goes
# SQLite -> PostgreSQL -> SQLite, and the last dump equals the first.
# Documented normalisation: PostgreSQL gives timestamps back without
# trailing zeros in the fraction ("…:01.5" for "…:01.500000"), so every
# timestamp text is padded to six digits before comparing.  A pool on the
# copy still decrypts the credential and accepts the API key.
#
# Prune: exactly the old finished executions go (failed ones kept with
# --keep-failed), never running or pending ones, with their logs, while a
# load of requests gets only 2xx.  EXECUTION_RETENTION makes executors do
# the same by themselves, a few batches per turn of their loop.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

need_nginx();

sub seed_sql {
	return <<'SQL';
INSERT INTO workflows (id, name, slug, owner_id, created_at, updated_at) VALUES (11, 'w1', 'w1', 1, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.500000');
INSERT INTO workflows (id, name, slug, owner_id, forked_from_id, is_public) VALUES (12, 'w2', 'w2', 1, 11, TRUE);
INSERT INTO workflows (id, name, slug, owner_id, error_handler_workflow_id) VALUES (13, 'w3', 'w3', 1, 13);
UPDATE workflows SET forked_from_id = 13 WHERE id = 11;
INSERT INTO code_blocks (id, workflow_id, name, slug) VALUES (5, 11, 'c', 'c');
INSERT INTO code_block_versions (id, code_block_id, version_number, code, code_hash, author_id) VALUES (7, 5, 1, 'print(1)', 'h', 1);
UPDATE code_blocks SET published_version_id = 7, draft_version_id = 7;
INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status, started_at, completed_at, total_cost_usd, trigger_payload) VALUES ('e1', 11, 1, 't', 'completed', '2020-01-01 00:00:00.000000', '2020-01-01 00:00:01.500000', 0.012345, '{"b":1,"a":[true,null]}');
INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status, started_at, parent_execution_id) VALUES ('e2', 12, 1, 't', 'failed', '2020-01-01 00:00:00.000000', 'e1');
INSERT INTO execution_logs (id, execution_id, node_id, status, metadata) VALUES (100, 'e1', 'n1', 'completed', '{"z":1,"a":2}');
INSERT INTO execution_logs (id, execution_id, node_id, status, output) VALUES (101, 'e1', 'n2', 'completed', '"héllo ''quoted'' | pipe"');
INSERT INTO execution_logs (id, execution_id, node_id, status) VALUES (102, 'e2', 'n1', 'failed');
INSERT INTO execution_jobs (id, execution_id, node_id, state, due_ms) VALUES (7, 'e1', 'n3', 'waiting', 0);
INSERT INTO execution_jobs (id, execution_id, node_id, state, due_ms) VALUES (40, 'e1', 'n4', 'waiting', 0);
DELETE FROM execution_jobs WHERE id = 40;
SQL
}

sub sqlite_path { my ($url) = @_; $url =~ m{^sqlite:///(.*)$} ? $1 : undef }

# Every table of an SQLite file as text, rows in primary-key order, with
# timestamps padded to six fraction digits.  workflows.revision is left
# out: it is a cache key that every database assigns itself (a copied row
# gets a new one), not data.
sub dump_sqlite {
	my ($path) = @_;
	my ($rc, $tables) = run_command(cmd => ['sqlite3', $path,
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"]);
	return "cannot list tables: $tables" if $rc != 0;
	my $text = '';
	for my $t (split /\n/, $tables) {
		my ($rc1, $cols) = run_command(cmd => ['sqlite3', $path,
			"SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('$t') "
			. "WHERE NOT ('$t' = 'workflows' AND name = 'revision')"]);
		chomp $cols;
		my ($rc2, $rows) = run_command(cmd => ['sqlite3', '-header', $path, "SELECT $cols FROM \"$t\" ORDER BY 1"]);
		$rows =~ s/(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,6}))?/$1 . '.' . substr(($2 \/\/ '') . '000000', 0, 6)/ge;
		$text .= "== $t\n$rows";
	}
	return $text;
}

subtest 'copy SQLite -> PostgreSQL -> SQLite' => sub {
	plan skip_all => 'PIPELIT_TEST_PG_URL is not set' unless $ENV{PIPELIT_TEST_PG_URL};
	my $t = PipelitTest->started or return;
	my $admin = make_user($t, 'copyadmin', 'copy-pass-123', 'admin') or return;
	my $key = make_key($t, $admin, 'copy key') or return fail('an API key');
	my $res = $t->request('POST', '/api/v1/credentials/', { headers => bearer($admin), content => {
		name => 'llm', credential_type => 'llm', detail => { api_key => 'sk-copy-abcdefghijklmnop' } } });
	is($res->{status}, 201, 'a credential is stored') or return diag($res->{content});
	my $cred = $t->json($res)->{id};
	my $mask = $t->json($t->get("/api/v1/credentials/$cred/", bearer($admin)))->{detail}{api_key};
	is($mask, '****mnop', 'its mask');
	ok(defined $t->db_query(seed_sql()), 'workflows, code blocks, executions and logs inserted');
	is($t->stop, 0, 'the pool stops');

	my $first = dump_sqlite(sqlite_path($t->db_url));
	my $pg = PipelitTest::pg_url_with_database($ENV{PIPELIT_TEST_PG_URL}, 't_' . PipelitTest::random_name());
	my ($rc, $out) = PipelitTest::psql($ENV{PIPELIT_TEST_PG_URL}, 'CREATE DATABASE ' . ($pg =~ m{/(\w+)(?:\?.*)?$})[0]);
	is($rc, 0, 'a PostgreSQL database') or return diag($out);

	($rc, $out) = $t->pipelit('db', 'copy', '--to', $pg);
	is($rc, 0, 'copy to PostgreSQL') or diag($out);
	like($out, qr/^user_profiles: 1 row$/m, 'a line per table');
	like($out, qr/^execution_logs: 3 rows$/m, 'the logs');
	like($out, qr/^total: \d+ rows in [\d.]+ s \(\d+ rows\/s\)$/m, 'a total with the rate');

	my $back = $t->dir . '/back/db.sqlite3';
	($rc, $out) = $t->pipelit('db', 'copy', '--from', $pg, '--to', "sqlite:///$back");
	is($rc, 0, 'copy back to SQLite') or diag($out);
	my $last = dump_sqlite($back);
	is($last, $first, 'the final dump equals the first');
	# A job id names its run after the row is gone (doc/engine.md): the
	# copies hand out none the source gave, a deleted row's (40) included.
	my ($rc3, $job) = run_command(cmd => ['sqlite3', $back, "INSERT INTO execution_jobs (execution_id, node_id, "
		. "state, due_ms) VALUES ('e1', 'n5', 'waiting', 0) RETURNING id; DELETE FROM execution_jobs WHERE id > 7"]);
	is($job, "41\n", 'the SQLite copy of the copy gives job ids past the deleted one');

	($rc, $out) = $t->pipelit('db', 'copy', '--to', $pg);
	is($rc, 1, 'a target holding rows is refused');
	like($out, qr/already holds rows.*--force/, '... saying so');
	($rc, $out) = $t->pipelit('db', 'copy', '--to', $pg, '--force');
	is($rc, 0, '--force replaces it') or diag($out);
	my ($rc2, $next) = PipelitTest::psql($pg, "INSERT INTO workflows (name, slug, owner_id) VALUES ('n', 'n', 1) RETURNING id");
	is($next, "14\n", 'the sequence continues after the copied ids');
	(undef, $next) = PipelitTest::psql($pg, "INSERT INTO execution_jobs (execution_id, node_id, state, due_ms) "
		. "VALUES ('e1', 'n5', 'waiting', 0) RETURNING id");
	is($next, "41\n", 'and job ids continue past a deleted one');

	my $u = PipelitTest->started(db_url => "sqlite:///$back", name => 'a pool starts on the copy') or return;
	my $tok = login($u, 'copyadmin', 'copy-pass-123');
	ok($tok, 'the password still logs in');
	$res = $u->get("/api/v1/credentials/$cred/", bearer($key->{key}));
	is($res->{status}, 200, 'the API key still authenticates');
	is(($u->json($res) // {})->{detail}{api_key}, $mask, 'the credential still decrypts');
	$u->stop;
	PipelitTest::psql($ENV{PIPELIT_TEST_PG_URL}, 'DROP DATABASE IF EXISTS ' . ($pg =~ m{/(\w+)(?:\?.*)?$})[0] . ' WITH (FORCE)');
};

sub seed_executions {
	my ($t) = @_;
	my $sql = "INSERT INTO workflows (id, name, slug, owner_id) VALUES (1, 'p', 'p', 1);\n";
	my %rows = (old_done => ['completed', '2020-01-01 00:00:00', '2020-01-01 00:01:00'],
		old_fail => ['failed', '2020-01-01 00:00:00', '2020-01-01 00:01:00'],
		old_cancel => ['cancelled', '2020-01-01 00:00:00', undef],
		old_run => ['running', '2020-01-01 00:00:00', undef],
		old_pend => ['pending', '2020-01-01 00:00:00', undef],
		old_intr => ['interrupted', '2020-01-01 00:00:00', undef],
		new_done => ['completed', '2099-01-01 00:00:00', '2099-01-01 00:01:00']);
	for my $id (sort keys %rows) {
		my ($st, $start, $end) = @{ $rows{$id} };
		$sql .= sprintf("INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status, "
			. "started_at, completed_at) VALUES ('%s', 1, 1, 't', '%s', '%s', %s);\n",
			$id, $st, $start, defined $end ? "'$end'" : 'NULL');
		$sql .= "INSERT INTO execution_logs (execution_id, node_id, status) VALUES ('$id', 'n$_', 's');\n" for 1 .. 3;
	}
	return $t->db_query($sql);
}

for_each_backend(sub {
	my ($backend, $url) = @_;
	my $t = PipelitTest->started(db_url => $url) or return;
	make_user($t, 'pruner', 'prune-pass-123', 'admin') or return;
	ok(defined seed_executions($t), 'executions of every status, old and new, with logs');
	my $load = $t->start_load(path => '/health');
	sleep 0.3;
	my ($rc, $out) = $t->pipelit('db', 'prune', '--executions-older-than', '30d', '--keep-failed', '--dry-run');
	like($out, qr/^would delete 2 executions and 6 log rows$/m, 'a dry run counts') or diag($out);
	($rc, $out) = $t->pipelit('db', 'prune', '--executions-older-than', '30d', '--keep-failed', '--batch', '1');
	is($rc, 0, 'prune --keep-failed') or diag($out);
	like($out, qr/^deleted 2 executions and 6 log rows$/m, 'it says what went');
	is($t->db_query('SELECT execution_id FROM workflow_executions ORDER BY execution_id'),
		join("\n", qw(new_done old_fail old_intr old_pend old_run)), 'old completed and cancelled ones went');
	($rc, $out) = $t->pipelit('db', 'prune', '--executions-older-than', '30d');
	like($out, qr/^deleted 1 execution and 3 log rows$/m, 'then the failed one') or diag($out);
	is($t->db_query('SELECT COUNT(*) FROM execution_logs'), 12, 'the logs of the rest stay');
	my $count = $load->finish;
	my $bad = join ' ', map { "$_:$count->{$_}" } grep { !/^2/ } keys %$count;
	is($bad, '', 'requests during the prune all got 2xx');
	ok(($count->{200} // 0) > 0, 'and there were some');
	($rc, $out) = $t->pipelit('db', 'prune', '--executions-older-than', '30x');
	is($rc, 2, 'a bad duration is a usage error');
	$t->stop;

	my $p = PipelitTest->started(db_url => $url, name => 'a pool with EXECUTION_RETENTION=1s',
		env => { EXECUTION_RETENTION => '1s', EXECUTION_PRUNE_INTERVAL_SECONDS => 1 }) or return;
	$p->db_query("INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status, "
		. "started_at, completed_at) VALUES ('periodic', 1, 1, 't', 'completed', '2020-01-01 00:00:00', '2020-01-01 00:00:01')");
	ok(wait_until(10, sub { ($p->db_query("SELECT COUNT(*) FROM workflow_executions WHERE execution_id = 'periodic'") // 1) == 0 }),
		'an executor prunes the old execution by itself');
	is($p->db_query("SELECT COUNT(*) FROM workflow_executions WHERE execution_id = 'old_run'"), 1,
		'a running one stays');
	# More than one turn of the executor's loop deletes (2,000 a turn).
	$p->db_query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500) "
		. "INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status, "
		. "started_at, completed_at) SELECT 'bulk-' || i, 1, 1, 't', 'completed', '2020-01-01 00:00:00', "
		. "'2020-01-01 00:00:01' FROM n");
	ok(wait_until(30, sub { ($p->db_query("SELECT COUNT(*) FROM workflow_executions WHERE execution_id LIKE 'bulk-%'") // 1) == 0 }),
		'4,500 old executions are pruned over several turns of the loop');
	like($p->log_text, qr/execution retention: deleted 4500 executions/, 'and reported once, in total');
	$p->stop;
});

done_testing;
