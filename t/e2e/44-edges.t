# Edges over the API and POST /workflows/{slug}/validate/: creation with the
# engine's section 5 checks (type compatibility, no type check on a
# trigger's edges, handle flags, conditional edges from switch and
# assertion nodes), the llm label linking a model's
# config, PATCH and DELETE, validate's messages, scoping, hostile input, and
# edge_created reaching a live subscriber.  Nodes are made by SQL, so this
# test stands on the edges API alone.
use strict;
use warnings;
use Test::More;
use IO::Select;
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use Time::HiRes qw(time);
use PipelitTest;
use PipelitAuth;

need_nginx();

sub req {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/workflows/$path", \%o);
	return ($res, $t->json($res));
}

# Nodes of the given types, by SQL: node ids are the keys.
sub add_nodes {
	my ($t, $wf_id, %types) = @_;
	my $n = 0;
	for my $node_id (sort keys %types) {
		my $cfg = $wf_id * 1000 + ++$n;
		$t->db_query("INSERT INTO component_configs (id, component_type, extra_config, updated_at) VALUES "
			. "($cfg, '$types{$node_id}', '{}', '2026-01-01 00:00:00.000000')") // return 0;
		$t->db_query("INSERT INTO workflow_nodes (workflow_id, node_id, component_type, component_config_id, "
			. "is_entry_point, interrupt_before, interrupt_after, position_x, position_y, updated_at) VALUES "
			. "($wf_id, '$node_id', '$types{$node_id}', $cfg, FALSE, FALSE, FALSE, 0, 0, "
			. "'2026-01-01 00:00:00.000000')") // return 0;
	}
	return 1;
}

sub config_link {
	my ($t, $wf_id, $node_id) = @_;
	return $t->db_query("SELECT coalesce(c.llm_model_config_id, 0) FROM workflow_nodes n JOIN component_configs c "
		. "ON c.id = n.component_config_id WHERE n.workflow_id = $wf_id AND n.node_id = '$node_id'");
}

sub config_id {
	my ($t, $wf_id, $node_id) = @_;
	return $t->db_query("SELECT component_config_id FROM workflow_nodes WHERE workflow_id = $wf_id "
		. "AND node_id = '$node_id'");
}

# The EventSource helpers of 42-events.t.
sub subscribe {
	my ($t, $path) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port, Timeout => 5)
		or return (0, undef);
	print $s "GET $path HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n";
	my $head = read_until($s, qr/\r\n\r\n/, 3);
	my ($status) = $head =~ m{^HTTP/1\.[01] (\d+)};
	return ($status // 0, $s);
}

sub read_until {
	my ($s, $re, $seconds) = @_;
	my $buf = '';
	my $sel = IO::Select->new($s);
	my $deadline = time + $seconds;
	while ($buf !~ $re) {
		my $left = $deadline - time;
		last if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($s, $buf, 4096, length $buf);
		last unless $n;
	}
	return $buf;
}

my @EDGE_KEYS = qw(id source_node_id target_node_id edge_type edge_label condition_mapping condition_value priority);

sub test_create_and_rules {
	my ($t, $alice, $wf) = @_;
	my $slug = $wf->{slug};
	my ($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'c1', target_node_id => 'a1' });
	is($res->{status}, 201, 'code -> agent (any -> messages) is created') or diag($res->{content});
	is_deeply([sort keys %{ $j // {} }], [sort @EDGE_KEYS], 'EdgeOut keys');
	is($j->{edge_type}, 'direct', 'edge_type defaults to direct');

	# A trigger's edge starts the run and carries no port value, so it
	# passes the type check whatever its first port is (as in Pipelit,
	# where trigger_manual -> agent runs).
	for my $case ([ t1 => 'a1' ], [ ts1 => 'a1' ], [ tw1 => 'a1' ], [ t1 => 'l1' ], [ te1 => 'a1' ]) {
		my ($from, $to) = @$case;
		($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => $from, target_node_id => $to });
		is($res->{status}, 201, "trigger $from -> $to is created") or diag($res->{content});
		is((req($t, $alice, 'DELETE', "$slug/edges/$j->{id}/"))[0]{status}, 204, 'and deleted again')
			if $j && $j->{id};
	}

	($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'l1', target_node_id => 'a1' });
	is($res->{status}, 422, 'loop -> agent (array -> messages) is refused');
	like(($j->{detail}{validation_errors} // [])->[0] // '', qr/^Type mismatch: loop outputs 'array' but agent expects 'messages'/,
		'with a validation_errors body naming the types') or diag($res->{content});

	($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'm1', target_node_id => 's1',
		edge_label => 'tool' });
	is($res->{status}, 422, 'a tool edge into a switch is refused');
	like(($j->{detail}{validation_errors} // [])->[0] // '', qr/does not accept 'tools' connections/,
		'because switch does not accept tools') or diag($res->{content});

	($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'm1', target_node_id => 'a1',
		edge_label => 'llm' });
	is($res->{status}, 201, 'an llm edge from a model to an agent') or diag($res->{content});
	my $llm_edge = $j->{id};
	is(config_link($t, $wf->{id}, 'a1'), config_id($t, $wf->{id}, 'm1'),
		"the agent's config now points at the model's config");

	($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 's1', target_node_id => 'c1',
		edge_type => 'conditional' });
	is($res->{status}, 422, 'a conditional edge without condition_value is refused');
	is($j->{detail}, 'Conditional edges require a non-empty condition_value', 'its detail');
	($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 's1', edge_type => 'conditional',
		condition_value => 'yes' });
	is($j->{detail}, 'Conditional edges require a non-empty target_node_id', 'a conditional edge needs a target');
	($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'c1', target_node_id => 'a1',
		edge_type => 'conditional', condition_value => 'x' });
	is($res->{status}, 422, 'a conditional edge from a code node is refused');
	($res) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 's1', target_node_id => 'c1',
		edge_type => 'conditional', condition_value => 'yes' });
	is($res->{status}, 201, 'a conditional edge from a switch') or diag($res->{content});
	($res) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'as1', target_node_id => 'c1',
		edge_type => 'conditional', condition_value => 'pass' });
	is($res->{status}, 201, 'a conditional edge from an assertion is accepted') or diag($res->{content});

	($res, $j) = req($t, $alice, 'GET', "$slug/edges/");
	is($res->{status}, 200, 'list');
	is(scalar @{ $j // [] }, 4, 'four edges stored (the refused ones wrote nothing)');
	return $llm_edge;
}

sub test_validate_patch_delete {
	my ($t, $alice, $wf, $llm_edge) = @_;
	my $slug = $wf->{slug};
	my ($res, $j) = req($t, $alice, 'POST', "$slug/validate/");
	is($res->{status}, 200, 'validate answers 200') or diag($res->{content});
	is_deeply($j, { valid => JSON::PP::true, errors => [] }, 'the graph is valid (assertion routes accepted)')
		or diag(explain $j);

	my $edges = (req($t, $alice, 'GET', "$slug/edges/"))[1] // [];
	my ($plain) = grep { $_->{edge_label} eq '' && $_->{edge_type} eq 'direct' } @$edges;
	($res, $j) = req($t, $alice, 'PATCH', "$slug/edges/$plain->{id}/", { priority => 5 });
	is($res->{status}, 200, 'PATCH an edge') or diag($res->{content});
	is($j->{priority}, 5, 'its priority changed');
	($res) = req($t, $alice, 'PATCH', "$slug/edges/999999/", { priority => 1 });
	is_detail($t, $res, 404, 'Edge not found.', 'PATCH of an unknown edge');

	($res) = req($t, $alice, 'DELETE', "$slug/edges/$llm_edge/");
	is($res->{status}, 204, 'DELETE the llm edge');
	is(config_link($t, $wf->{id}, 'a1'), '0', "the agent's model link is cleared");
	($res) = req($t, $alice, 'DELETE', "$slug/edges/$llm_edge/");
	is_detail($t, $res, 404, 'Edge not found.', 'DELETE again');

	($res, $j) = req($t, $alice, 'POST', "$slug/validate/");
	ok(!$j->{valid}, 'without its model the graph is invalid');
	ok((grep { /^Node 'a1' \(agent\) requires a model connection$/ } @{ $j->{errors} // [] }),
		'and validate says which node needs a model') or diag(explain $j);
}

sub test_scoping_and_hostile {
	my ($t, $alice, $bob, $wf) = @_;
	my $slug = $wf->{slug};
	my ($res) = req($t, $bob, 'GET', "$slug/edges/");
	is_detail($t, $res, 404, 'Workflow not found.', "another user's workflow: list");
	($res) = req($t, $bob, 'POST', "$slug/edges/", { source_node_id => 'c1', target_node_id => 'a1' });
	is_detail($t, $res, 404, 'Workflow not found.', "another user's workflow: create");
	($res) = req($t, $bob, 'POST', "$slug/validate/");
	is_detail($t, $res, 404, 'Workflow not found.', "another user's workflow: validate");

	my $before = $t->db_query('SELECT count(*) FROM workflow_edges');
	for my $case (
		[ 'a list body', [] ],
		[ 'no source', { target_node_id => 'a1' } ],
		[ 'a number as source', { source_node_id => 5, target_node_id => 'a1' } ],
		[ 'an unknown edge_type', { source_node_id => 'c1', target_node_id => 'a1', edge_type => 'sideways' } ],
		[ 'an unknown label', { source_node_id => 'c1', target_node_id => 'a1', edge_label => 'memory' } ],
		[ 'priority not an integer', { source_node_id => 'c1', target_node_id => 'a1', priority => 'high' } ],
		[ 'a 1 MB source', { source_node_id => 'x' x 1_000_000, target_node_id => 'a1' } ],
	) {
		my ($name, $body) = @$case;
		($res) = req($t, $alice, 'POST', "$slug/edges/", $body);
		is($res->{status}, 422, "$name: 422") or diag(substr($res->{content}, 0, 300));
	}
	($res) = req($t, $alice, 'PATCH', "$slug/edges/abc/", { priority => 1 });
	is($res->{status}, 422, 'a non-integer edge id: 422');
	is($t->db_query('SELECT count(*) FROM workflow_edges'), $before, 'nothing was written');
}

# An edge names nodes the workflow has, by the rule validate applies: a 422
# item at the field naming the missing node, on create and on PATCH.
sub test_missing_nodes {
	my ($t, $alice, $wf) = @_;
	my $slug = $wf->{slug};
	my $before = $t->db_query('SELECT count(*) FROM workflow_edges');
	my ($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'c1', target_node_id => 'ghost' });
	is($res->{status}, 422, 'an edge to a node that does not exist: 422') or diag($res->{content});
	my $item = ref $j->{detail} eq 'ARRAY' ? $j->{detail}[0] : {};
	is_deeply($item->{loc}, [ 'body', 'target_node_id' ], 'at target_node_id') or diag($res->{content});
	like($item->{msg} // '', qr/Edge references unknown target node 'ghost'/, 'naming the node as validate does');
	is($item->{input}, 'ghost', 'with the input');
	($res, $j) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'nobody', target_node_id => 'c1' });
	is($res->{status}, 422, 'an edge from a node that does not exist: 422');
	$item = ref $j->{detail} eq 'ARRAY' ? $j->{detail}[0] : {};
	is_deeply($item->{loc}, [ 'body', 'source_node_id' ], 'at source_node_id') or diag($res->{content});
	like($item->{msg} // '', qr/unknown source node 'nobody'/, 'naming it');
	($res) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'c1' });
	is($res->{status}, 422, 'a direct edge without a target: 422');
	($res) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 's1', target_node_id => 'ghost',
		edge_type => 'conditional', condition_value => 'no' });
	is($res->{status}, 422, 'a conditional edge to a node that does not exist: 422');
	($res) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 's1', target_node_id => '__end__',
		edge_type => 'conditional', condition_value => 'done' });
	is($res->{status}, 201, 'a conditional edge may end the run at __end__') or diag($res->{content});
	my $end = $t->json($res)->{id};
	($res) = req($t, $alice, 'POST', "$slug/edges/", { source_node_id => 'c1', target_node_id => '__end__' });
	is($res->{status}, 422, 'a direct one may not');
	my $edges = (req($t, $alice, 'GET', "$slug/edges/"))[1] // [];
	my ($plain) = grep { $_->{edge_label} eq '' && $_->{edge_type} eq 'direct' } @$edges;
	($res, $j) = req($t, $alice, 'PATCH', "$slug/edges/$plain->{id}/", { target_node_id => 'ghost' });
	is($res->{status}, 422, 'PATCH onto a node that does not exist: 422') or diag($res->{content});
	is_deeply((ref $j->{detail} eq 'ARRAY' ? $j->{detail}[0] : {})->{loc}, [ 'body', 'target_node_id' ],
		'at target_node_id');
	($res, $j) = req($t, $alice, 'GET', "$slug/edges/");
	my ($same) = grep { $_->{id} == $plain->{id} } @{ $j // [] };
	is($same->{target_node_id}, $plain->{target_node_id}, 'the edge kept its target');
	is($t->db_query('SELECT count(*) FROM workflow_edges'), $before + 1, 'only the __end__ edge was written');
	($res) = req($t, $alice, 'DELETE', "$slug/edges/$end/");
	is($res->{status}, 204, 'which goes again');
}

sub test_event {
	my ($t, $alice, $wf) = @_;
	my $res = $t->post('/api/v1/events/ticket/', { channel => "workflow:$wf->{slug}" }, bearer($alice));
	my $j = $t->json($res) // {};
	my ($status, $s) = subscribe($t, $j->{url} // '/');
	is($status, 200, 'subscribed to the workflow') or return;
	my $sent = time;
	($res) = req($t, $alice, 'POST', "$wf->{slug}/edges/", { source_node_id => 'l1', target_node_id => 'c1' });
	is($res->{status}, 201, 'an edge created') or diag($res->{content});
	my $text = read_until($s, qr/^data: .*\n/m, 2);
	my ($line) = $text =~ /^data: (.*)$/m;
	ok(defined $line && time - $sent < 1, 'the subscriber heard of it within a second') or return diag($text);
	my $ev = eval { decode_json($line) } // {};
	is($ev->{type}, 'edge_created', 'edge_created');
	is($ev->{data}{source_node_id}, 'l1', 'with the EdgeOut');
	close $s;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my ($res, $wf) = req($t, $alice, 'POST', '', { name => 'Edges', slug => 'edges-wf' });
	is($res->{status}, 201, 'a workflow') or return diag($res->{content});
	ok(add_nodes($t, $wf->{id}, t1 => 'trigger_manual', a1 => 'agent', m1 => 'ai_model', s1 => 'switch',
		as1 => 'assertion', c1 => 'code', l1 => 'loop', ts1 => 'trigger_schedule', tw1 => 'trigger_webhook',
		te1 => 'trigger_error'), 'nodes made by SQL') or return;
	my $llm_edge = test_create_and_rules($t, $alice, $wf);
	subtest 'validate, PATCH and DELETE' => sub { test_validate_patch_delete($t, $alice, $wf, $llm_edge) };
	subtest 'scoping and hostile input' => sub { test_scoping_and_hostile($t, $alice, $bob, $wf) };
	subtest 'edges name nodes that exist' => sub { test_missing_nodes($t, $alice, $wf) };
	subtest 'edge_created reaches a subscriber' => sub { test_event($t, $alice, $wf) };
	$t->stop;
});

done_testing();
