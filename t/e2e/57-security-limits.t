# Security finding 11: a workflow's size is limited.  Nodes and edges per
# workflow (PIPELIT_MAX_NODES_PER_WORKFLOW, PIPELIT_MAX_EDGES_PER_WORKFLOW),
# the size of one node's config (PIPELIT_MAX_NODE_CONFIG_BYTES) and of an
# import document (PIPELIT_MAX_IMPORT_BYTES), here set small so the rules
# show in a few requests.  Over a count: 422 naming it; over a byte limit:
# 413; a refused write leaves the workflow as it was.  Both backends.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

my %LIMITS = (
	PIPELIT_MAX_NODES_PER_WORKFLOW => 3,
	PIPELIT_MAX_EDGES_PER_WORKFLOW => 2,
	PIPELIT_MAX_NODE_CONFIG_BYTES => 2048,
	PIPELIT_MAX_IMPORT_BYTES => 4096,
);

sub counts {
	my ($t, $token, $slug) = @_;
	my ($res, $j) = api_req($t, $token, 'GET', "workflows/$slug/");
	return $res->{status} == 200 ? "$j->{node_count}/$j->{edge_count}/" . scalar(@{ $j->{nodes} })
		. '/' . scalar(@{ $j->{edges} }) : "status $res->{status}";
}

sub test_nodes_and_edges {
	my ($t, $alice) = @_;
	my $wf = api_ok($t, $alice, 'POST', 'workflows/', { name => 'limits' }, 201, 'a workflow');
	my $slug = $wf->{slug};
	api_ok($t, $alice, 'POST', "workflows/$slug/nodes/", { node_id => "c$_", component_type => 'code' },
		201, "node $_ of 3") for 1 .. 3;
	my ($res, $j) = api_req($t, $alice, 'POST', "workflows/$slug/nodes/", { node_id => 'c4',
		component_type => 'code' });
	is($res->{status}, 422, 'a fourth node is refused with 422');
	like($j->{detail} // '', qr/at most 3 .*PIPELIT_MAX_NODES_PER_WORKFLOW/, 'naming the limit')
		or diag($res->{content});
	is(counts($t, $alice, $slug), '3/0/3/0', 'three nodes stay, counted right');

	api_ok($t, $alice, 'POST', "workflows/$slug/edges/", { source_node_id => 'c1', target_node_id => 'c2' },
		201, 'edge 1 of 2');
	api_ok($t, $alice, 'POST', "workflows/$slug/edges/", { source_node_id => 'c2', target_node_id => 'c3' },
		201, 'edge 2 of 2');
	($res, $j) = api_req($t, $alice, 'POST', "workflows/$slug/edges/", { source_node_id => 'c1',
		target_node_id => 'c3' });
	is($res->{status}, 422, 'a third edge is refused with 422');
	like($j->{detail} // '', qr/at most 2 .*PIPELIT_MAX_EDGES_PER_WORKFLOW/, 'naming the limit')
		or diag($res->{content});
	is(counts($t, $alice, $slug), '3/2/3/2', 'two edges stay, counted right');

	# A deleted node makes room again.
	api_ok($t, $alice, 'DELETE', "workflows/$slug/nodes/c3/", undef, 204, 'delete a node (and its edge)');
	api_ok($t, $alice, 'POST', "workflows/$slug/nodes/", { node_id => 'c5', component_type => 'code' },
		201, 'room for a node again');
	return $slug;
}

sub test_config_size {
	my ($t, $alice, $slug) = @_;
	my ($res, $j) = api_req($t, $alice, 'POST', 'workflows/', { name => 'configs' });
	my $other = $j->{slug};
	($res, $j) = api_req($t, $alice, 'POST', "workflows/$other/nodes/", { node_id => 'big',
		component_type => 'agent', config => { system_prompt => 'x' x 3000 } });
	is($res->{status}, 413, 'a node whose config is over the byte limit is refused with 413');
	like($j->{detail} // '', qr/PIPELIT_MAX_NODE_CONFIG_BYTES/, 'naming the setting') or diag($res->{content});
	is(counts($t, $alice, $other), '0/0/0/0', 'nothing stored');
	is($t->db_query('SELECT count(*) FROM component_configs WHERE length(system_prompt) > 2000'), 0,
		'no config row left behind');

	api_ok($t, $alice, 'POST', "workflows/$other/nodes/", { node_id => 'a1', component_type => 'agent',
		config => { system_prompt => 'y' x 1500 } }, 201, 'a config within the limit');
	($res, $j) = api_req($t, $alice, 'PATCH', "workflows/$other/nodes/a1/", { config => {
		extra_config => { blob => 'z' x 1000 } } });
	is($res->{status}, 413, 'an update that grows the config past the limit (prompt + extra) is refused');
	my ($node) = grep { $_->{node_id} eq 'a1' }
		@{ api_ok($t, $alice, 'GET', "workflows/$other/nodes/", undef, 200, 'the nodes') // [] };
	is_deeply($node->{config}{extra_config}, {}, 'the refused update changed nothing');
	is(length $node->{config}{system_prompt}, 1500, 'the prompt is as it was');
}

sub doc {
	my ($nodes, $edges, %extra) = @_;
	return { format => 'pipelit-workflow', version => 1, workflow => { name => 'imported', %extra },
		nodes => [ map { { node_id => "n$_", component_type => 'code' } } 1 .. $nodes ],
		edges => [ map { { source_node_id => 'n1', target_node_id => 'n2' } } 1 .. $edges ] };
}

sub test_import {
	my ($t, $alice) = @_;
	my $before = $t->db_query('SELECT count(*) FROM workflows');
	my ($res, $j) = api_req($t, $alice, 'POST', 'workflows/import/', doc(4, 0));
	is($res->{status}, 422, 'an import of 4 nodes is refused with 422');
	like(join(' ', map { $_->{msg} } @{ ref $j->{detail} eq 'ARRAY' ? $j->{detail} : [] }),
		qr/4 nodes.*PIPELIT_MAX_NODES_PER_WORKFLOW/, 'naming the count and the limit') or diag($res->{content});
	($res, $j) = api_req($t, $alice, 'POST', 'workflows/import/', doc(2, 3));
	is($res->{status}, 422, 'an import of 3 edges is refused with 422');
	like(join(' ', map { $_->{msg} } @{ ref $j->{detail} eq 'ARRAY' ? $j->{detail} : [] }),
		qr/3 edges.*PIPELIT_MAX_EDGES_PER_WORKFLOW/, 'naming the count and the limit') or diag($res->{content});
	($res, $j) = api_req($t, $alice, 'POST', 'workflows/import/', doc(1, 0, description => 'd' x 5000));
	is($res->{status}, 413, 'an import document over PIPELIT_MAX_IMPORT_BYTES is refused with 413');
	like($j->{detail} // '', qr/PIPELIT_MAX_IMPORT_BYTES/, 'naming the setting') or diag($res->{content});
	my $big = doc(1, 0);
	$big->{nodes}[0]{config} = { extra_config => { blob => 'b' x 2500 } };
	($res, $j) = api_req($t, $alice, 'POST', 'workflows/import/', $big);
	is($res->{status}, 413, 'an import with a node config over its limit is refused with 413')
		or diag($res->{content});
	is($t->db_query('SELECT count(*) FROM workflows'), $before, 'no refused import left a workflow');
	$j = api_ok($t, $alice, 'POST', 'workflows/import/', doc(3, 2), 201, 'an import at the limits');
	is("$j->{node_count}/$j->{edge_count}", '3/2', 'with its nodes and edges');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => \%LIMITS) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	test_nodes_and_edges($t, $alice);
	test_config_size($t, $alice);
	test_import($t, $alice);
});

done_testing();
