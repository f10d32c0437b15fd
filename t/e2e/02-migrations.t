# Migrations on a live database: rows survive upgrade/downgrade/upgrade,
# `db check` finds drift, and two masters starting together migrate once.
use strict;
use warnings;
use Test::More;
use PipelitTest;

need_nginx();

sub table_exists {
	my ($t, $table) = @_;
	my $sql = $t->db_url =~ /^sqlite/
		? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$table'"
		: "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '$table'";
	return ($t->db_query($sql) // '') eq '1';
}

sub row_count { my ($t) = @_; $t->db_query('SELECT count(*) FROM user_profiles') // -1 }

# The revision ids `db history` lists, oldest last (Alembic's order).
sub revisions {
	my ($t) = @_;
	my ($rc, $out) = $t->pipelit('db', 'history');
	return map { /->\s*([0-9A-Za-z_]+)/ ? $1 : () } grep { /->/ } split /\n/, $out;
}

sub pipelit_ok {
	my ($t, $name, @args) = @_;
	my ($rc, $out) = $t->pipelit(@args);
	is($rc, 0, $name) or diag("pipelit @args: $out");
	return $out;
}

# Before anything else the database is empty: down to base and back.
sub test_base_and_back {
	my ($t) = @_;
	pipelit_ok($t, 'db upgrade creates the schema', 'db', 'upgrade');
	ok(table_exists($t, 'workflows'), 'the tables exist after db upgrade');
	pipelit_ok($t, 'db downgrade base succeeds on an empty database', 'db', 'downgrade', 'base');
	ok(!table_exists($t, 'workflows'), 'downgrade to base dropped the tables');
	pipelit_ok($t, 'db upgrade head brings them back', 'db', 'upgrade', 'head');
	ok(table_exists($t, 'workflows'), 'the tables exist again');
}

sub test_rows_survive {
	my ($t) = @_;
	ok($t->start, 'the pool starts on the migrated database') or return diag($t->log_tail);
	for my $i (1 .. 5) {
		is($t->post('/api/v1/_test/write/', '{}')->{status}, 201, "write $i through the pool");
	}
	is($t->stop, 0, 'the pool stops');
	is(row_count($t), 5, '5 rows in user_profiles');
	pipelit_ok($t, 'db upgrade at head succeeds', 'db', 'upgrade');
	pipelit_ok($t, 'db upgrade again succeeds', 'db', 'upgrade', 'head');
	is(row_count($t), 5, 'db upgrade twice is a no-op that keeps the rows');
	my @revs = revisions($t);
	SKIP: {
		skip 'one migration only: downgrade -1 would drop the table holding the rows', 3 if @revs < 2;
		pipelit_ok($t, 'db downgrade -1 succeeds', 'db', 'downgrade', '-1');
		pipelit_ok($t, 'db upgrade head succeeds again', 'db', 'upgrade', 'head');
		is(row_count($t), 5, 'upgrade, downgrade, upgrade lost no rows');
	}
	ok($t->start, 'the pool starts again') or return diag($t->log_tail);
	is($t->post('/api/v1/_test/write/', '{}')->{status}, 201, 'and writes');
	is(row_count($t), 6, 'the new row joins the old ones');
}

# c4d2e8a61b93: a budget saved with its four limits null (as the API stored
# it before it stored such a budget as no budget) becomes no budget; one
# with a limit is kept as it was.
sub test_unlimited_budgets {
	my ($t) = @_;
	is($t->stop, 0, 'the pool stops');
	my $owner = $t->db_query('SELECT min(id) FROM user_profiles');
	my $none = '{"max_tokens_per_execution":null,"max_usd_per_execution":null,'
		. '"max_tokens_per_day":null,"max_usd_per_day":null}';
	my $some = '{"max_tokens_per_execution":null,"max_usd_per_execution":null,'
		. '"max_tokens_per_day":1000,"max_usd_per_day":null}';
	pipelit_ok($t, 'db downgrade to b3f1a9d27c40 (before the budgets migration)', 'db', 'downgrade', 'b3f1a9d27c40');
	for (['no-limit', $none], ['a-limit', $some], ['no-budget', undef]) {
		my ($slug, $budget) = @$_;
		my $value = defined $budget ? "'$budget'" : 'NULL';
		ok(defined $t->db_query("INSERT INTO workflows (name, slug, owner_id, budget) "
			. "VALUES ('$slug', '$slug', $owner, $value)"), "a workflow with $slug");
	}
	pipelit_ok($t, 'db upgrade head', 'db', 'upgrade', 'head');
	my $budget = sub { $t->db_query("SELECT CASE WHEN budget IS NULL THEN 'NULL' ELSE CAST(budget AS TEXT) END "
		. "FROM workflows WHERE slug = '$_[0]'") };
	is($budget->('no-limit'), 'NULL', 'four null limits are stored as no budget');
	is($budget->('a-limit'), $some, 'a budget with a limit is kept as it was');
	is($budget->('no-budget'), 'NULL', 'no budget stays none');
	ok(defined $t->db_query("DELETE FROM workflows WHERE slug IN ('no-limit', 'a-limit', 'no-budget')"),
	   'the probes go');
	ok($t->start, 'the pool starts again') or diag($t->log_tail);
}

# da78285e1e1b: a job id is never handed out twice, not even the highest
# after its row was deleted (an agent's checkpoints and message ids carry
# it), and new ids start past those an execution in flight holds
# checkpoints of.
sub test_job_ids_never_reused {
	my ($t) = @_;
	is($t->stop, 0, 'the pool stops');
	my $sqlite = $t->db_url =~ /^sqlite/;
	my $owner = $t->db_query('SELECT min(id) FROM user_profiles');
	pipelit_ok($t, 'db downgrade to c4d2e8a61b93 (before the migration)', 'db', 'downgrade', 'c4d2e8a61b93');
	ok(defined $t->db_query("INSERT INTO workflows (name, slug, owner_id) VALUES ('ids', 'ids', $owner)"),
	   'a workflow');
	ok(defined $t->db_query("INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id) "
		. "SELECT 'ids-probe', id, $owner, 't' FROM workflows WHERE slug = 'ids'"), 'an execution in flight');
	my $job = sub { $t->db_query("INSERT INTO execution_jobs (execution_id, node_id, due_ms) "
		. "VALUES ('ids-probe', '$_[0]', 0) RETURNING id") };
	my $first = $job->('a');
	ok(defined $t->db_query("INSERT INTO agent_checkpoints (execution_id, node_id, attempt, step, messages, "
		. "loop_state, created_ms) VALUES ('ids-probe', 'job:" . ($first + 40) . "', 1, 1, '[]', '{}', 0)"),
	   'a checkpoint of a job whose row is gone') if $sqlite;
	pipelit_ok($t, 'db upgrade head', 'db', 'upgrade', 'head');
	my $second = $job->('b');
	cmp_ok($second, '>', $first, 'a new job gets a new id');
	cmp_ok($second, '>', $first + 40, 'past the ids checkpoints hold') if $sqlite;
	ok(defined $t->db_query("DELETE FROM execution_jobs WHERE id = $second"), 'the newest job row goes');
	cmp_ok($job->('c'), '>', $second, "and its id is not handed out again");
	ok(defined $t->db_query("DELETE FROM workflows WHERE slug = 'ids'"), 'the probes go');
	ok($t->start, 'the pool starts again') or diag($t->log_tail);
}

sub test_check {
	my ($t) = @_;
	my ($rc, $out) = $t->pipelit('db', 'check');
	is($rc, 0, 'db check is clean after start') or diag($out);
	ok(defined $t->db_query('ALTER TABLE workflows ADD COLUMN drift_probe INTEGER'), 'a manual ALTER TABLE');
	($rc, $out) = $t->pipelit('db', 'check');
	is($rc, 1, 'db check exits 1 on drift');
	like($out, qr/drift_probe/, 'db check names the added column') or diag($out);
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->new(db_url => $db_url);
	test_base_and_back($t);
	test_rows_survive($t);
	test_unlimited_budgets($t);
	test_job_ids_never_reused($t);
	test_check($t);
});

# Two masters on one fresh database, each with its own socket, pid file and
# nginx, started at the same moment.
for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my @stacks = map { PipelitTest->new(db_url => $db_url) } 1 .. 2;
	ok($_->start_nginx, 'nginx for master ' . ($_ == $stacks[0] ? 'A' : 'B')) for @stacks;
	$_->start_master for @stacks;
	for my $i (0, 1) {
		my $name = ('A', 'B')[$i];
		ok($stacks[$i]->wait_ready(90), "master $name comes up") or diag($stacks[$i]->log_tail);
	}
	is($_->get('/health')->{status}, 200, 'both answer /health') for @stacks;
	is($_->post('/api/v1/_test/write/', '{}')->{status}, 201, 'both write') for @stacks;
	my @revs = revisions($stacks[0]);
	ok(@revs >= 1, 'db history lists the revisions') or return;
	my $logs = join "\n", map { $_->log_text } @stacks;
	for my $rev (@revs) {
		# migrate.c logs "applied migration REV: message" for each step it makes.
		my @applied = grep { /\bapplied\b.*\Q$rev\E/i } split /\n/, $logs;
		is(scalar @applied, 1, "revision $rev was applied exactly once") or diag(join "\n", @applied);
	}
	is($_->stop, 0, 'a master stops cleanly') for @stacks;
});

done_testing;
