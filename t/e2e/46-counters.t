# The workflow counters the database keeps (migration fafda19e6f04):
# node_count, edge_count and trigger_count of the list and the detail, and
# the list's total in a user's and in the admin's scope, equal what a
# count over the rows says after every kind of write: nodes (trigger ones
# too) and edges made over the API, a node deleted with its edges, a
# node's type changed, rows changed by plain SQL, workflows deleted one by
# one and in a batch, a user who owns workflows deleted (by SQL: the API
# only deactivates users).  The counters stay right when the
# migration is reverted and applied again, and `db copy` SQLite ->
# PostgreSQL gives the same counts.  Both backends.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

# slug => "nodes/edges/triggers" from the rows themselves.
sub truth {
	my ($t) = @_;
	my $out = $t->db_query("SELECT w.slug, "
		. "(SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = w.id), "
		. "(SELECT count(*) FROM workflow_edges e WHERE e.workflow_id = w.id), "
		. "(SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = w.id "
		. "AND substr(n.component_type, 1, 8) = 'trigger_') FROM workflows w") // '';
	my %t;
	for (split /\n/, $out) {
		my ($slug, @c) = split /\|/;
		$t{$slug} = join '/', @c;
	}
	return \%t;
}

sub counts_of { my ($w) = @_; join '/', map { $w->{$_} } qw(node_count edge_count trigger_count) }

# Every workflow $token sees, from the list (all pages) and the detail.
sub check {
	my ($t, $token, $owner_id, $step) = @_;
	my $truth = truth($t);
	my $where = defined $owner_id ? "WHERE owner_id = $owner_id" : '';
	my $total = $t->db_query("SELECT count(*) FROM workflows $where") // -1;
	my (%seen, $list_total);
	for (my $offset = 0; ; $offset += 100) {
		my ($res, $j) = api_req($t, $token, 'GET', "workflows/?limit=100&offset=$offset");
		is($res->{status}, 200, "$step: list") or return diag($res->{content});
		$list_total = $j->{total};
		$seen{ $_->{slug} } = counts_of($_) for @{ $j->{items} };
		last if @{ $j->{items} } < 100;
	}
	is($list_total, $total, "$step: total " . (defined $owner_id ? 'of the owner' : 'for the admin'));
	my %expected = map { $_ => $truth->{$_} } keys %seen;
	is_deeply(\%seen, \%expected, "$step: list counts equal the rows");
	is(scalar keys %seen, $total, "$step: every workflow listed");
	my %detail;
	for my $slug (keys %seen) {
		my ($res, $j) = api_req($t, $token, 'GET', "workflows/$slug/");
		$detail{$slug} = $res->{status} == 200 ? counts_of($j) : "status $res->{status}";
	}
	is_deeply(\%detail, \%expected, "$step: detail counts equal the rows");
	my $owners = $t->db_query('SELECT count(*) FROM workflow_owner_totals WHERE total <= 0') // -1;
	is($owners, 0, "$step: no empty totals rows");
}

sub node {
	my ($t, $token, $slug, $id, $type) = @_;
	api_ok($t, $token, 'POST', "workflows/$slug/nodes/", { node_id => $id, component_type => $type }, 201,
		"node $slug/$id");
}

sub edge {
	my ($t, $token, $slug, $from, $to) = @_;
	api_ok($t, $token, 'POST', "workflows/$slug/edges/", { source_node_id => $from, target_node_id => $to },
		201, "edge $slug $from -> $to");
}

sub build {
	my ($t, $alice, $bob) = @_;
	for my $slug (qw(a1 a2 a3)) {
		api_ok($t, $alice, 'POST', 'workflows/', { name => $slug, slug => $slug }, 201, "workflow $slug");
	}
	api_ok($t, $bob, 'POST', 'workflows/', { name => 'b1', slug => 'b1' }, 201, 'workflow b1');
	node($t, $alice, 'a1', 't1', 'trigger_chat');
	node($t, $alice, 'a1', 't2', 'trigger_manual');
	node($t, $alice, 'a1', 'g1', 'agent');
	node($t, $alice, 'a1', 'm1', 'ai_model');
	edge($t, $alice, 'a1', 't1', 'g1');
	api_ok($t, $alice, 'POST', 'workflows/a1/edges/', { source_node_id => 'm1', target_node_id => 'g1',
		edge_label => 'llm' }, 201, 'edge a1 m1 -> g1 (llm)');
	node($t, $alice, 'a2', 'g1', 'agent');
	node($t, $bob, 'b1', 't1', 'trigger_schedule');
	node($t, $bob, 'b1', 'g1', 'agent');
	edge($t, $bob, 'b1', 't1', 'g1');
}

sub user_id {
	my ($t, $token) = @_;
	my (undef, $j) = api_req($t, $token, 'GET', 'users/me');
	return $j->{id};
}

sub test_api {
	my ($t, $admin, $alice, $bob) = @_;
	my ($alice_id, $bob_id) = (user_id($t, $alice), user_id($t, $bob));
	my $check = sub {
		my ($step) = @_;
		check($t, $alice, $alice_id, $step);
		check($t, $admin, undef, "$step (admin)");
	};
	$check->('empty');
	build($t, $alice, $bob);
	$check->('built');
	is(truth($t)->{a1}, '4/2/2', 'a1 has 4 nodes, 2 edges, 2 triggers');

	api_ok($t, $alice, 'DELETE', 'workflows/a1/nodes/g1/', undef, 204, 'delete a node with edges');
	is(truth($t)->{a1}, '3/0/2', 'its edges went with it');
	$check->('node deleted');

	my ($res, $j) = api_req($t, $alice, 'PATCH', 'workflows/a1/nodes/t2/', { component_type => 'agent' });
	ok($res->{status} == 200 || $res->{status} == 422, "PATCH component_type: $res->{status}");
	$check->('component_type patched');
	($res, $j) = api_req($t, $alice, 'PATCH', 'workflows/a2/nodes/g1/', { component_type => 'trigger_manual' });
	$check->('component_type patched to a trigger');

	# Writers outside the API: plain SQL, as bench/workflows.sh does.
	ok(defined $t->db_query("UPDATE workflow_nodes SET component_type = 'trigger_error' WHERE node_id = 'm1'"),
		'SQL: a node becomes a trigger');
	ok(defined $t->db_query("UPDATE workflow_edges SET workflow_id = (SELECT id FROM workflows WHERE slug = 'a3') "
		. "WHERE workflow_id = (SELECT id FROM workflows WHERE slug = 'b1')"), 'SQL: an edge moves');
	ok(defined $t->db_query("UPDATE workflows SET owner_id = $alice_id WHERE slug = 'b1'"), 'SQL: b1 changes hands');
	$check->('SQL writes');
	ok(defined $t->db_query("UPDATE workflows SET owner_id = $bob_id WHERE slug = 'b1'"), 'SQL: b1 goes back');

	api_ok($t, $alice, 'DELETE', 'workflows/a1/', undef, 204, 'delete a workflow with nodes');
	$check->('workflow deleted');
	api_ok($t, $alice, 'POST', 'workflows/batch-delete/', { slugs => ['a2'] }, 204, 'batch delete');
	$check->('batch deleted');
	# DELETE /users/{id} only deactivates (keys revoked, rows kept), so
	# the row goes by SQL, with the cascades the pool would run.
	my $fk_on = $t->db_url =~ /^sqlite/ ? 'PRAGMA foreign_keys = ON; ' : '';
	ok(defined $t->db_query("${fk_on}DELETE FROM user_profiles WHERE id = $bob_id"),
		'delete a user who owns workflows');
	$check->('owner deleted');
	is($t->db_query("SELECT count(*) FROM workflow_owner_totals WHERE owner_id = $bob_id"), 0,
		'the deleted owner has no totals row');
	return $alice_id;
}

sub test_migrations {
	my ($t, $admin, $alice, $alice_id) = @_;
	node($t, $alice, 'a3', 'late', 'trigger_workflow');
	my $before = truth($t);
	my ($rc, $out) = $t->pipelit('db', 'downgrade', '-1');
	is($rc, 0, 'db downgrade -1') or diag($out);
	ok(defined $t->db_query("INSERT INTO workflows (name, slug, owner_id) VALUES ('down', 'down', $alice_id)"),
		'a workflow written while the counters are gone');
	($rc, $out) = $t->pipelit('db', 'upgrade');
	is($rc, 0, 'db upgrade') or diag($out);
	($rc, $out) = $t->pipelit('db', 'check');
	is($rc, 0, 'db check: no drift') or diag($out);
	my $after = truth($t);
	is(delete $after->{down}, '0/0/0', 'the new workflow counts nothing');
	is_deeply($after, $before, 'the rows did not change');
	check($t, $alice, $alice_id, 'after down and up');
	check($t, $admin, undef, 'after down and up (admin)');
}

sub test_copy {
	my ($t, $admin, $alice, $alice_id) = @_;
	my $pg = PipelitTest::pg_url_with_database($ENV{PIPELIT_TEST_PG_URL}, 't_' . PipelitTest::random_name());
	my ($db) = $pg =~ m{/(\w+)(?:\?.*)?$};
	my ($rc, $out) = PipelitTest::psql($ENV{PIPELIT_TEST_PG_URL}, "CREATE DATABASE $db");
	is($rc, 0, 'a PostgreSQL target') or return diag($out);
	($rc, $out) = $t->pipelit('db', 'copy', '--to', $pg);
	is($rc, 0, 'db copy SQLite -> PostgreSQL') or diag($out);
	my $sql = 'SELECT slug, node_count, edge_count, trigger_count FROM workflows ORDER BY slug';
	my $totals = 'SELECT owner_id, total FROM workflow_owner_totals ORDER BY owner_id';
	my (undef, $pg_rows) = PipelitTest::psql($pg, $sql);
	my (undef, $pg_totals) = PipelitTest::psql($pg, $totals);
	is($pg_rows, $t->db_query($sql) . "\n", 'the copy has the same counters');
	is($pg_totals, $t->db_query($totals) . "\n", 'the copy has the same totals');
	($rc, $out) = $t->pipelit('db', 'copy', '--to', $pg, '--force');
	is($rc, 0, 'db copy --force onto the copy') or diag($out);
	(undef, $pg_rows) = PipelitTest::psql($pg, $sql);
	is($pg_rows, $t->db_query($sql) . "\n", 'still the same counters, not twice');
	PipelitTest::psql($ENV{PIPELIT_TEST_PG_URL}, "DROP DATABASE IF EXISTS $db WITH (FORCE)");
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my $alice_id;
	subtest api => sub { $alice_id = test_api($t, $admin, $alice, $bob) };
	subtest migrations => sub { test_migrations($t, $admin, $alice, $alice_id) };
	subtest copy => sub {
		plan skip_all => 'SQLite source only, and PIPELIT_TEST_PG_URL set'
			unless $backend eq 'sqlite' && $ENV{PIPELIT_TEST_PG_URL};
		test_copy($t, $admin, $alice, $alice_id);
	};
});

done_testing();
