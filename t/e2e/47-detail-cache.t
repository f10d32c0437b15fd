# The workflow detail (GET /api/v1/workflows/{slug}/) is never stale, with
# four responders that may each keep a rendered copy: after every kind of
# change (the API, plain SQL, foreign-key cascades) all of twelve requests
# in a row show the new state.  Covered: PATCH of the workflow and of a
# node; node and config rows changed by SQL; edges created, changed and
# deleted over the API and by SQL; a node deleted over the API and one
# inserted by SQL; a credential deleted under a model's config (ON DELETE
# SET NULL); a slug renamed; a workflow deleted and another made with the
# same slug (SQLite may reuse its id); another user's 404 right after the
# owner's GET, and the admin's view.  A second pool with the cache off
# answers the same JSON for the same rows.  Written against behaviour
# only: nothing here reads how (or whether) the detail is cached.  Both
# backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $N = 12;

sub sql_ok {
	my ($t, $sql, $name) = @_;
	return ok(defined $t->db_query($sql), "SQL: $name");
}

# The detail requested $n times: a list of [status, decoded body].
sub detail_all {
	my ($t, $token, $slug, $n) = @_;
	my @out;
	for (1 .. $n // $N) {
		my ($res, $j) = api_req($t, $token, 'GET', "workflows/$slug/");
		push @out, [$res->{status}, $j];
	}
	return @out;
}

# Passes when every one of the $N answers is a 200 for which $pred holds.
sub all_show {
	my ($t, $token, $slug, $name, $pred) = @_;
	my @bad;
	for my $r (detail_all($t, $token, $slug, $N)) {
		my ($status, $j) = @$r;
		local $_ = $j;
		push @bad, $r unless $status == 200 && ref $j eq 'HASH' && $pred->($j);
	}
	ok(!@bad, "$name (all $N answers)")
		or diag(scalar(@bad) . " of $N stale or wrong; one: status $bad[0][0] "
			. substr(JSON::PP->new->canonical->encode($bad[0][1] // "undef"), 0, 1500));
}

sub all_status {
	my ($t, $token, $slug, $status, $name) = @_;
	my @got = map { $_->[0] } detail_all($t, $token, $slug, $N);
	is_deeply(\@got, [($status) x $N], "$name (all $N answers $status)");
}

sub node_of {
	my ($j, $node_id) = @_;
	my ($n) = grep { $_->{node_id} eq $node_id } @{ $j->{nodes} // [] };
	return $n // {};
}

sub node_ids { join ',', sort map { $_->{node_id} } @{ $_[0]{nodes} // [] } }

sub edge_keys {
	join ',', sort map { "$_->{source_node_id}>$_->{target_node_id}" } @{ $_[0]{edges} // [] };
}

sub edge_by_id {
	my ($j, $id) = @_;
	my ($e) = grep { $_->{id} == $id } @{ $j->{edges} // [] };
	return $e;
}

sub build {
	my ($t, $alice, $slug) = @_;
	my $wf = api_ok($t, $alice, 'POST', 'workflows/', { name => 'Cached', slug => $slug,
		description => 'first', tags => ['a'] }, 201, 'create the workflow') or return;
	my @nodes = (
		{ node_id => 't1', component_type => 'trigger_chat' },
		{ node_id => 'a1', component_type => 'agent', config => { system_prompt => 'Be brief.' } },
		{ node_id => 'm1', component_type => 'ai_model', config => { model_name => 'gpt-x' } },
		{ node_id => 'c1', component_type => 'code', config => { extra_config => { v => 1 } } },
		{ node_id => 's1', component_type => 'switch' },
		{ node_id => 'c2', component_type => 'code' },
	);
	for my $n (@nodes) {
		api_ok($t, $alice, 'POST', "workflows/$slug/nodes/", $n, 201, "node $n->{node_id}") or return;
	}
	my @edges = (
		{ source_node_id => 't1', target_node_id => 'a1' },
		{ source_node_id => 'm1', target_node_id => 'a1', edge_label => 'llm' },
		{ source_node_id => 'a1', target_node_id => 'c1' },
		{ source_node_id => 'c1', target_node_id => 's1' },
		{ source_node_id => 's1', target_node_id => 'c2', edge_type => 'conditional', condition_value => 'yes' },
	);
	for my $e (@edges) {
		api_ok($t, $alice, 'POST', "workflows/$slug/edges/", $e, 201,
			"edge $e->{source_node_id} -> $e->{target_node_id}") or return;
	}
	return $wf;
}

sub config_id {
	my ($t, $wf_id, $node_id) = @_;
	return $t->db_query("SELECT component_config_id FROM workflow_nodes WHERE workflow_id = $wf_id "
		. "AND node_id = '$node_id'");
}

sub test_changes {
	my ($t, $alice, $slug, $wf) = @_;
	my $id = $wf->{id};
	all_show($t, $alice, $slug, 'warm: the built graph', sub {
		node_ids($_) eq 'a1,c1,c2,m1,s1,t1' && @{ $_->{edges} } == 5
			&& node_of($_, 'a1')->{config}{system_prompt} eq 'Be brief.' });

	# 1. the workflow row over the API
	api_ok($t, $alice, 'PATCH', "workflows/$slug/", { name => 'Renamed', description => 'second',
		tags => ['b', 'c'] }, 200, 'PATCH the workflow');
	all_show($t, $alice, $slug, 'PATCH workflow shows', sub {
		$_->{name} eq 'Renamed' && $_->{description} eq 'second' && join(',', @{ $_->{tags} }) eq 'b,c' });

	# 2. a node over the API
	api_ok($t, $alice, 'PATCH', "workflows/$slug/nodes/c1/", { label => 'Compute', position_x => 123,
		position_y => 45 }, 200, 'PATCH a node');
	all_show($t, $alice, $slug, 'PATCH node shows', sub {
		my $n = node_of($_, 'c1');
		($n->{label} // '') eq 'Compute' && $n->{position_x} == 123 && $n->{position_y} == 45 });

	# 3. a node row by SQL
	sql_ok($t, "UPDATE workflow_nodes SET label = 'By SQL', position_x = 777 WHERE workflow_id = $id "
		. "AND node_id = 'c2'", 'a node label and position');
	all_show($t, $alice, $slug, 'SQL node update shows', sub {
		my $n = node_of($_, 'c2');
		($n->{label} // '') eq 'By SQL' && $n->{position_x} == 777 });

	# 4. config rows by SQL
	my $acfg = config_id($t, $id, 'a1');
	my $ccfg = config_id($t, $id, 'c1');
	sql_ok($t, "UPDATE component_configs SET system_prompt = 'Changed by SQL.' WHERE id = $acfg",
		"the agent's system_prompt");
	all_show($t, $alice, $slug, 'SQL system_prompt shows', sub {
		node_of($_, 'a1')->{config}{system_prompt} eq 'Changed by SQL.' });
	sql_ok($t, "UPDATE component_configs SET extra_config = '{\"v\":2,\"w\":\"x\"}' WHERE id = $ccfg",
		"the code node's extra_config");
	all_show($t, $alice, $slug, 'SQL extra_config shows', sub {
		my $x = node_of($_, 'c1')->{config}{extra_config} // {};
		($x->{v} // 0) == 2 && ($x->{w} // '') eq 'x' });
	# The spacing Python's json.dumps writes (a database made by Pipelit
	# holds it) is valid JSON and shows as it is.
	sql_ok($t, "UPDATE component_configs SET extra_config = '{\"v\": 3, \"w\": \"y\"}' WHERE id = $ccfg",
		"the code node's extra_config, spaced");
	all_show($t, $alice, $slug, 'SQL extra_config with spaces shows', sub {
		my $x = node_of($_, 'c1')->{config}{extra_config} // {};
		($x->{v} // 0) == 3 && ($x->{w} // '') eq 'y' });

	# 5. edges: API create, SQL update, API delete, SQL delete
	my $e = api_ok($t, $alice, 'POST', "workflows/$slug/edges/", { source_node_id => 'c1',
		target_node_id => 'c2' }, 201, 'create an edge over the API') // {};
	all_show($t, $alice, $slug, 'API edge create shows', sub { defined edge_by_id($_, $e->{id} // 0) });
	my $cond = $t->db_query("SELECT id FROM workflow_edges WHERE workflow_id = $id AND edge_type = 'conditional'");
	sql_ok($t, "UPDATE workflow_edges SET condition_value = 'no', priority = 7 WHERE id = $cond",
		'a conditional edge changed');
	all_show($t, $alice, $slug, 'SQL edge update shows', sub {
		my $c = edge_by_id($_, $cond) // {};
		($c->{condition_value} // '') eq 'no' && ($c->{priority} // 0) == 7 });
	api_ok($t, $alice, 'DELETE', "workflows/$slug/edges/$e->{id}/", undef, 204, 'delete an edge over the API')
		if $e->{id};
	all_show($t, $alice, $slug, 'API edge delete shows', sub { !edge_by_id($_, $e->{id} // 0) });
	my $plain = $t->db_query("SELECT id FROM workflow_edges WHERE workflow_id = $id AND source_node_id = 'c1' "
		. "AND target_node_id = 's1'");
	sql_ok($t, "DELETE FROM workflow_edges WHERE id = $plain", 'an edge deleted');
	all_show($t, $alice, $slug, 'SQL edge delete shows', sub {
		!edge_by_id($_, $plain) && edge_keys($_) eq 'a1>c1,m1>a1,s1>c2,t1>a1' });

	# 6. a node deleted over the API (its edges go too), one inserted by SQL
	api_ok($t, $alice, 'DELETE', "workflows/$slug/nodes/t1/", undef, 204, 'delete a node over the API');
	all_show($t, $alice, $slug, 'API node delete shows, with its edge', sub {
		node_ids($_) eq 'a1,c1,c2,m1,s1' && edge_keys($_) eq 'a1>c1,m1>a1,s1>c2' });
	my $cfg = 900000 + $id;
	sql_ok($t, "INSERT INTO component_configs (id, component_type, extra_config, code_language, code_snippet) "
		. "VALUES ($cfg, 'code', '{\"sql\": true}', 'python', 'print(1)')", 'a config inserted');
	sql_ok($t, "INSERT INTO workflow_nodes (workflow_id, node_id, label, component_type, component_config_id, "
		. "position_x, position_y) VALUES ($id, 'sqlnode', 'Inserted', 'code', $cfg, 5, 6)", 'a node inserted');
	all_show($t, $alice, $slug, 'SQL node insert shows', sub {
		my $n = node_of($_, 'sqlnode');
		node_ids($_) eq 'a1,c1,c2,m1,s1,sqlnode' && ($n->{label} // '') eq 'Inserted'
			&& ($n->{config}{extra_config}{sql} // 0) });
}

# 7. a credential under the model's config, deleted: the FK sets it null.
sub test_credential {
	my ($t, $alice, $slug, $wf) = @_;
	my $c = api_ok($t, $alice, 'POST', 'credentials/', { name => 'cache-llm', credential_type => 'llm',
		detail => { api_key => 'sk-cache-test-0123456789' } }, 201, 'create a credential') or return;
	api_ok($t, $alice, 'PATCH', "workflows/$slug/nodes/m1/", { config => { llm_credential_id => $c->{id} } },
		200, 'set it on the model node');
	all_show($t, $alice, $slug, 'llm_credential_id shows', sub {
		(node_of($_, 'm1')->{config}{llm_credential_id} // 0) == $c->{id} });
	my ($res) = api_req($t, $alice, 'DELETE', "credentials/$c->{id}/");
	if ($res->{status} != 204) {
		# The API refused to delete a credential in use: delete the row
		# by SQL with foreign keys on, so the cascade still runs.
		diag("DELETE of a credential in use answered $res->{status}: $res->{content}; deleting by SQL");
		my $fk_on = $t->db_url =~ /^sqlite/ ? 'PRAGMA foreign_keys = ON; ' : '';
		sql_ok($t, "${fk_on}DELETE FROM credentials WHERE id = $c->{id}", 'the credential deleted');
	} else {
		pass('the credential deleted over the API');
	}
	all_show($t, $alice, $slug, 'deleted credential shows as null', sub {
		my $cfg = node_of($_, 'm1')->{config} // {};
		exists $cfg->{llm_credential_id} && !defined $cfg->{llm_credential_id} });
}

# 8. slug rename; 9. delete and a new workflow with the same slug.
sub test_slug_and_delete {
	my ($t, $alice, $slug) = @_;
	my $new = "$slug-2";
	api_ok($t, $alice, 'PATCH', "workflows/$slug/", { slug => $new }, 200, 'rename the slug');
	all_show($t, $alice, $new, 'the new slug answers', sub { $_->{slug} eq $new && $_->{name} eq 'Renamed' });
	all_status($t, $alice, $slug, 404, 'the old slug is gone');
	api_ok($t, $alice, 'PATCH', "workflows/$new/", { slug => $slug }, 200, 'rename it back');
	all_show($t, $alice, $slug, 'the old slug answers again', sub { $_->{slug} eq $slug });
	all_status($t, $alice, $new, 404, 'the other slug is gone');

	my $old = (detail_all($t, $alice, $slug, 1))[0][1] // {};
	api_ok($t, $alice, 'DELETE', "workflows/$slug/", undef, 204, 'delete the workflow');
	all_status($t, $alice, $slug, 404, 'a deleted workflow');
	my $wf = api_ok($t, $alice, 'POST', 'workflows/', { name => 'Second life', slug => $slug,
		description => 'new' }, 201, 'a new workflow with the same slug') or return;
	note("old id $old->{id}, new id $wf->{id}" . ($old->{id} == $wf->{id} ? ' (reused)' : ''));
	all_show($t, $alice, $slug, 'the new workflow, empty', sub {
		$_->{name} eq 'Second life' && $_->{id} == $wf->{id} && !@{ $_->{nodes} } && !@{ $_->{edges} } });
	api_ok($t, $alice, 'POST', "workflows/$slug/nodes/", { node_id => 'x1', component_type => 'agent' }, 201,
		'a node on the new workflow');
	all_show($t, $alice, $slug, 'the new workflow, one node', sub { node_ids($_) eq 'x1' });
	return $wf;
}

# 10. another user right after the owner's GET; the admin sees it.
sub test_scoping {
	my ($t, $admin, $alice, $bob, $slug) = @_;
	for my $round (1 .. 3) {
		my ($res) = api_req($t, $alice, 'GET', "workflows/$slug/");
		is($res->{status}, 200, "round $round: the owner's GET");
		all_status($t, $bob, $slug, 404, "round $round: another user right after");
	}
	all_show($t, $admin, $slug, 'the admin sees it', sub { $_->{slug} eq $slug && node_ids($_) eq 'x1' });
	all_status($t, $bob, $slug, 404, "another user after the admin's GET");
}

# The same rows through a pool with the cache off answer the same JSON.
sub test_uncached_pool {
	my ($t, $db_url, $alice, $slugs) = @_;
	my $u = PipelitTest->started(db_url => $db_url, responders => 2, env => { PIPELIT_DETAIL_CACHE_KB => 0 },
		name => 'a second pool with PIPELIT_DETAIL_CACHE_KB=0') or return;
	for my $slug (@$slugs) {
		my ($r1, $cached) = api_req($t, $alice, 'GET', "workflows/$slug/");
		my ($r2, $fresh) = api_req($u, $alice, 'GET', "workflows/$slug/");
		is($r2->{status}, $r1->{status}, "$slug: same status from both pools");
		is_deeply($cached, $fresh, "$slug: same detail from both pools");
	}
	$u->stop;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, responders => 4) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my $slug = 'cache-wf';
	my $wf;
	# A workflow that stays, to compare across pools; made first so that
	# the one deleted later has the highest id, which SQLite reuses.
	subtest 'build another' => sub { build($t, $alice, 'cache-keep') };
	subtest build => sub { $wf = build($t, $alice, $slug) };
	return fail('the workflow was built') unless $wf;
	subtest changes => sub { test_changes($t, $alice, $slug, $wf) };
	subtest credential => sub { test_credential($t, $alice, $slug, $wf) };
	subtest 'slug and delete' => sub { test_slug_and_delete($t, $alice, $slug) };
	subtest scoping => sub { test_scoping($t, $admin, $alice, $bob, $slug) };
	subtest 'uncached pool' => sub { test_uncached_pool($t, $db_url, $alice, [$slug, 'cache-keep']) };
});

done_testing();
