# Workflows (/api/v1/workflows/...): create with derived, unique and
# explicit slugs (a taken explicit slug is a 409), list with pagination
# edges, detail with its (SQL-inserted) nodes and edges and real counts,
# update, delete cascading to nodes, configs, edges and executions, batch
# delete, scoping between two users and an admin, hostile bodies (422,
# nothing written).  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;

need_nginx();

sub wf_req {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/workflows/$path", \%o);
	return ($res, $t->json($res));
}

sub create {
	my ($t, $token, $body, $name) = @_;
	my ($res, $j) = wf_req($t, $token, 'POST', '', $body);
	is($res->{status}, 201, "create $name: 201") or do { diag($res->{content}); return undef };
	return $j;
}

my @OUT_KEYS = qw(id name slug description is_active is_public is_default tags error_handler_workflow_id
	max_execution_seconds input_schema output_schema node_count edge_count trigger_count created_at updated_at
	budget budget_today);

sub test_crud {
	my ($t, $alice) = @_;
	my $w = create($t, $alice, { name => 'My First Workflow!', description => 'd', tags => ['a', 'b'],
		input_schema => { type => 'object' }, is_public => 'true', extra => 1 }, 'derived slug') or return;
	is_deeply([sort keys %$w], [sort @OUT_KEYS], 'WorkflowOut keys');
	is($w->{slug}, 'my-first-workflow', 'slug derived from the name');
	is_deeply($w->{tags}, ['a', 'b'], 'tags');
	is_deeply($w->{input_schema}, { type => 'object' }, 'input_schema');
	is($w->{output_schema}, undef, 'output_schema null');
	ok($w->{is_public} && $w->{is_active} && !$w->{is_default}, 'booleans: lax true and defaults');
	is($w->{max_execution_seconds}, 600, 'max_execution_seconds default');
	is($w->{node_count} + $w->{edge_count} + $w->{trigger_count}, 0, 'no nodes yet');
	like($w->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'created_at ISO-8601 with Z');

	my $w2 = create($t, $alice, { name => 'my first  workflow' }, 'same derived slug') or return;
	is($w2->{slug}, 'my-first-workflow-2', 'a taken derived slug gets -2');
	my $w3 = create($t, $alice, { name => '--My_First_Workflow--' }, 'third') or return;
	is($w3->{slug}, 'my-first-workflow-3', 'then -3');
	my $w4 = create($t, $alice, { name => "\x{e9}\x{e8}!!" }, 'nothing usable') or return;
	is($w4->{slug}, 'workflow', 'a name with nothing usable gives "workflow"');
	my $long = create($t, $alice, { name => 'x' x 255 }, 'long name') // return;
	is(length($long->{slug}), 255, 'a derived slug of 255 characters');
	my $long2 = create($t, $alice, { name => 'x' x 255 }, 'long name again') // return;
	is($long2->{slug}, ('x' x 253) . '-2', 'the suffix fits in 255');

	my $e = create($t, $alice, { name => 'Explicit', slug => 'chosen-one' }, 'explicit slug') or return;
	is($e->{slug}, 'chosen-one', 'explicit slug kept');
	my ($res, $j) = wf_req($t, $alice, 'POST', '', { name => 'Again', slug => 'chosen-one' });
	is_detail($t, $res, 409, 'Slug already exists.', 'explicit taken slug');

	($res, $j) = wf_req($t, $alice, 'GET', 'my-first-workflow/');
	is($res->{status}, 200, 'GET detail');
	is_deeply($j->{nodes}, [], 'nodes empty');
	is_deeply($j->{edges}, [], 'edges empty');
	delete @$j{qw(nodes edges)};
	is_deeply($j, $w, 'detail equals what create returned');

	($res, $j) = wf_req($t, $alice, 'PATCH', 'my-first-workflow/', { name => 'Renamed', tags => undef,
		max_execution_seconds => '30', error_handler_workflow_id => $e->{id} });
	is($res->{status}, 200, 'PATCH') or diag($res->{content});
	is($j->{name}, 'Renamed', 'name changed');
	is($j->{slug}, 'my-first-workflow', 'slug unchanged by a rename');
	is($j->{tags}, undef, 'tags set to null');
	is($j->{max_execution_seconds}, 30, 'lax int');
	is($j->{error_handler_workflow_id}, $e->{id}, 'error handler set');
	is($j->{description}, 'd', 'unsent keys unchanged');
	($res, $j) = wf_req($t, $alice, 'PATCH', 'my-first-workflow/', { slug => 'chosen-one' });
	is_detail($t, $res, 409, 'Slug already exists.', 'PATCH to a taken slug');
	($res, $j) = wf_req($t, $alice, 'PATCH', 'my-first-workflow/', { slug => 'my-first-workflow' });
	is($res->{status}, 200, 'PATCH to its own slug');
	($res, $j) = wf_req($t, $alice, 'PATCH', 'my-first-workflow/', { slug => 'moved' });
	is($j->{slug}, 'moved', 'slug changed');
	($res) = wf_req($t, $alice, 'GET', 'my-first-workflow/');
	is_detail($t, $res, 404, 'Workflow not found.', 'old slug gone');
	($res) = wf_req($t, $alice, 'PATCH', 'moved/', { error_handler_workflow_id => 999999 });
	is_validation($t, $res, 'error handler that does not exist');
	return $e;
}

sub test_pagination {
	my ($t, $token) = @_;
	my ($res, $j) = wf_req($t, $token, 'GET', '');
	is($res->{status}, 200, 'list');
	my $total = $j->{total};
	ok($total >= 4, "total $total");
	my @ids = map { $_->{id} } @{ $j->{items} };
	is_deeply(\@ids, [sort { $a <=> $b } @ids], 'ordered by id');
	($res, $j) = wf_req($t, $token, 'GET', '?limit=2&offset=1');
	is(scalar @{ $j->{items} }, 2, 'limit 2');
	is($j->{items}[0]{id}, $ids[1], 'offset 1');
	is($j->{total}, $total, 'total before paging');
	($res, $j) = wf_req($t, $token, 'GET', "?offset=" . ($total + 10));
	is_deeply($j->{items}, [], 'offset past the end: empty');
	is($j->{total}, $total, 'offset past the end: total');
	($res, $j) = wf_req($t, $token, 'GET', '?limit=0');
	is_deeply($j->{items}, [], 'limit 0');
	($res, $j) = wf_req($t, $token, 'GET', '?limit=1000');
	is($res->{status}, 200, 'limit 1000');
	for my $q ('limit=1001', 'limit=-1', 'offset=-1', 'limit=abc', 'offset=1.5x') {
		($res) = wf_req($t, $token, 'GET', "?$q");
		is_validation($t, $res, "list ?$q");
	}
}

sub test_scoping {
	my ($t, $alice, $bob, $admin) = @_;
	my $b = create($t, $bob, { name => 'Bob flow' }, 'bob') or return;
	my ($res, $j) = wf_req($t, $alice, 'GET', '');
	ok(!grep({ $_->{slug} eq $b->{slug} } @{ $j->{items} }), "alice's list lacks bob's");
	for my $m (['GET', undef], ['PATCH', { name => 'x' }], ['DELETE', undef]) {
		($res) = wf_req($t, $alice, $m->[0], "$b->{slug}/", $m->[1]);
		is_detail($t, $res, 404, 'Workflow not found.', "alice $m->[0] bob's");
	}
	($res) = wf_req($t, $alice, 'POST', 'batch-delete/', { slugs => [$b->{slug}] });
	is($res->{status}, 204, "alice batch-deletes bob's: 204");
	($res) = wf_req($t, $bob, 'GET', "$b->{slug}/");
	is($res->{status}, 200, "bob's still there");
	($res, $j) = wf_req($t, $admin, 'GET', '?limit=1000');
	my ($ra, $ja) = wf_req($t, $alice, 'GET', '');
	is($j->{total}, $ja->{total} + 1, 'admin sees all');
	($res) = wf_req($t, $admin, 'PATCH', "$b->{slug}/", { description => 'by admin' });
	is($res->{status}, 200, "admin updates bob's");
	($res) = wf_req($t, $bob, 'POST', '', { name => 'x', slug => 'chosen-one' });
	is_detail($t, $res, 409, 'Slug already exists.', "slugs are unique across users");
	($res) = $t->request('GET', '/api/v1/workflows/');
	is($res->{status}, 401, 'no auth: 401');
}

sub sql_list {
	my ($t, $sql) = @_;
	return $t->db_query($sql) // '';
}

sub test_cascade {
	my ($t, $alice) = @_;
	my $w = create($t, $alice, { name => 'Doomed' }, 'doomed') or return;
	my $keep = create($t, $alice, { name => 'Kept' }, 'kept') or return;
	my $uid = $t->db_query("SELECT owner_id FROM workflows WHERE id = $w->{id}");
	for my $wf ($w, $keep) {
		my $id = $wf->{id};
		$t->db_query("INSERT INTO component_configs (id, component_type, extra_config, updated_at) VALUES "
			. "(${id}001, 'trigger_manual', '{}', '2026-01-01 00:00:00.000000'), "
			. "(${id}002, 'agent', '{}', '2026-01-01 00:00:00.000000')") // return;
		$t->db_query("INSERT INTO workflow_nodes (workflow_id, node_id, component_type, component_config_id, "
			. "is_entry_point, interrupt_before, interrupt_after, position_x, position_y, updated_at) VALUES "
			. "($id, 't1', 'trigger_manual', ${id}001, FALSE, FALSE, FALSE, 0, 0, '2026-01-01 00:00:00.000000'), "
			. "($id, 'a1', 'agent', ${id}002, FALSE, FALSE, FALSE, 10, 20, '2026-01-01 00:00:00.000000')") // return;
		$t->db_query("INSERT INTO workflow_edges (workflow_id, source_node_id, target_node_id, edge_type, "
			. "edge_label, condition_value, priority) VALUES ($id, 't1', 'a1', 'direct', '', '', 0)") // return;
		$t->db_query("INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, "
			. "status, parent_node_id, retry_count, max_retries, error_message, total_input_tokens, "
			. "total_output_tokens, total_tokens, llm_calls, total_cost_usd) VALUES ('exec-$id', $id, $uid, 't', "
			. "'pending', '', 0, 3, '', 0, 0, 0, 0, 0)") // return;
	}
	my ($res, $j) = wf_req($t, $alice, 'GET', "$w->{slug}/");
	is($j->{node_count}, 2, 'node_count counts SQL rows');
	is($j->{edge_count}, 1, 'edge_count');
	is($j->{trigger_count}, 1, 'trigger_count');
	is(scalar @{ $j->{nodes} }, 2, 'detail lists the nodes');
	is($j->{nodes}[1]{position_y}, 20, 'node position');
	is_deeply($j->{edges}[0]{source_node_id}, 't1', 'detail lists the edges');
	($res, $j) = wf_req($t, $alice, 'GET', '?limit=1000');
	my ($row) = grep { $_->{id} == $w->{id} } @{ $j->{items} };
	is($row->{node_count} . '/' . $row->{edge_count} . '/' . $row->{trigger_count}, '2/1/1', 'counts in the list');

	($res) = wf_req($t, $alice, 'DELETE', "$w->{slug}/");
	is($res->{status}, 204, 'DELETE: 204');
	is($res->{content} // '', '', 'empty body');
	my $id = $w->{id};
	is(sql_list($t, "SELECT count(*) FROM workflow_nodes WHERE workflow_id = $id"), '0', 'nodes gone');
	is(sql_list($t, "SELECT count(*) FROM workflow_edges WHERE workflow_id = $id"), '0', 'edges gone');
	is(sql_list($t, "SELECT count(*) FROM workflow_executions WHERE workflow_id = $id"), '0', 'executions gone');
	is(sql_list($t, "SELECT count(*) FROM component_configs WHERE id IN (${id}001, ${id}002)"), '0', 'configs gone');
	my $k = $keep->{id};
	is(sql_list($t, "SELECT count(*) FROM component_configs WHERE id IN (${k}001, ${k}002)"), '2',
		"another workflow's configs stay");
	is(sql_list($t, "SELECT count(*) FROM workflow_nodes WHERE workflow_id = $k"), '2', "another workflow's nodes stay");
	($res) = wf_req($t, $alice, 'DELETE', "$w->{slug}/");
	is_detail($t, $res, 404, 'Workflow not found.', 'DELETE again');

	($res) = wf_req($t, $alice, 'POST', 'batch-delete/', { slugs => [$keep->{slug}, 'no-such-thing'] });
	is($res->{status}, 204, 'batch delete: 204');
	is(sql_list($t, "SELECT count(*) FROM component_configs WHERE id IN (${k}001, ${k}002)"), '0',
		'batch delete removes configs too');
	($res) = wf_req($t, $alice, 'POST', 'batch-delete/', { slugs => [] });
	is($res->{status}, 204, 'batch delete of nothing');
}

sub test_hostile {
	my ($t, $alice) = @_;
	my $before = $t->db_query('SELECT count(*) FROM workflows');
	my @bad = (
		[ 'no name', { description => 'x' } ],
		[ 'name a number', { name => 5 } ],
		[ 'name too long', { name => 'n' x 256 } ],
		[ 'slug uppercase', { name => 'a', slug => 'Bad' } ],
		[ 'slug double hyphen', { name => 'a', slug => 'a--b' } ],
		[ 'slug leading hyphen', { name => 'a', slug => '-a' } ],
		[ 'slug empty', { name => 'a', slug => '' } ],
		[ 'slug with a slash', { name => 'a', slug => 'a/b' } ],
		[ 'slug too long', { name => 'a', slug => 'a' x 256 } ],
		[ 'max_execution_seconds 0', { name => 'a', max_execution_seconds => 0 } ],
		[ 'max_execution_seconds huge', { name => 'a', max_execution_seconds => 1e12 } ],
		[ 'max_execution_seconds text', { name => 'a', max_execution_seconds => 'ten' } ],
		[ 'tags not a list', { name => 'a', tags => 'x' } ],
		[ 'tags of numbers', { name => 'a', tags => [1] } ],
		[ 'input_schema a list', { name => 'a', input_schema => [] } ],
		[ 'is_active junk', { name => 'a', is_active => 'maybe' } ],
		[ 'error handler text', { name => 'a', error_handler_workflow_id => 'x' } ],
		[ 'error handler missing', { name => 'a', error_handler_workflow_id => 987654 } ],
		[ 'body a list', [] ],
		[ 'body a string', 'x' ],
	);
	for my $b (@bad) {
		my ($res) = wf_req($t, $alice, 'POST', '', $b->[1]);
		is_validation($t, $res, "create: $b->[0]");
	}
	my $res = $t->request('POST', '/api/v1/workflows/', { headers => { %{ bearer($alice) },
		'Content-Type' => 'application/json' }, content => '{"name": ' });
	is_validation($t, $res, 'create: broken JSON');
	($res) = wf_req($t, $alice, 'PATCH', 'moved/', { slug => 'UP' });
	is_validation($t, $res, 'PATCH: bad slug');
	($res) = wf_req($t, $alice, 'POST', 'batch-delete/', { slugs => 'x' });
	is_validation($t, $res, 'batch delete: slugs not a list');
	($res) = wf_req($t, $alice, 'POST', 'batch-delete/', {});
	is_validation($t, $res, 'batch delete: slugs missing');
	is($t->db_query('SELECT count(*) FROM workflows'), $before, 'nothing written');
	($res) = wf_req($t, $alice, 'GET', "it's%20'%3B%20DROP%20TABLE%20workflows/");
	is($res->{status}, 404, 'a hostile slug in the path is a 404');
}

# Answers larger than one FastCGI record (64 KiB) are written as several
# records straight to nginx's socket: the list of limit=1000 over workflows
# with long descriptions full of characters that need escaping must arrive
# whole, parse, and say its own length.
sub test_large_answers {
	my ($t, $token) = @_;
	my $text = join('', map { "line $_ \x{e9}\x{20ac} \"quoted\" back\\slash\ttab\n" } 1 .. 60);
	my $n = 100;
	for my $i (1 .. $n) {
		create($t, $token, { name => "big $i", description => "$i: $text" }, "big $i") or return;
	}
	my $res = $t->request('GET', '/api/v1/workflows/?limit=1000', { headers => bearer($token) });
	is($res->{status}, 200, 'a large list: 200');
	cmp_ok(length($res->{content}), '>', 3 * 65535, 'the answer spans several FastCGI records');
	is($res->{headers}{'content-length'}, length($res->{content}), 'Content-Length is the body\'s length');
	my $j = eval { JSON::PP->new->utf8->decode($res->{content}) };
	ok($j, 'the body parses as UTF-8 JSON') or return;
	my %by_name = map { $_->{name} => $_ } @{ $j->{items} };
	my $intact = grep { ($by_name{"big $_"}{description} // '') eq "$_: $text" } 1 .. $n;
	is($intact, $n, 'every description arrives intact, escapes and UTF-8 included');
	my $head = $t->request('HEAD', '/api/v1/workflows/?limit=1000', { headers => bearer($token) });
	is($head->{status}, 200, 'HEAD of the large list: 200');
	is($head->{content} // '', '', 'HEAD: no body');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	subtest crud => sub { test_crud($t, $alice) };
	subtest pagination => sub { test_pagination($t, $alice) };
	subtest scoping => sub { test_scoping($t, $alice, $bob, $admin) };
	subtest cascade => sub { test_cascade($t, $alice) };
	subtest hostile => sub { test_hostile($t, $alice) };
	subtest large_answers => sub { test_large_answers($t, $bob) };
});

done_testing();
