# Workflow export and import: a graph of several node kinds built through
# the API is exported, imported (a new slug, since the old one is taken)
# and exported again, and the two documents are equal but for the slug;
# llm links are rebuilt from the llm edges; invalid documents are a 422
# that writes nothing; another user's workflow is a 404 to export.
use strict;
use warnings;
use Test::More;
use JSON::PP;
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

sub build_workflow {
	my ($t, $alice) = @_;
	my ($res, $wf) = req($t, $alice, 'POST', '', { name => 'Round Trip', slug => 'round-trip',
		description => 'a graph', tags => ['x', 'y'], max_execution_seconds => 120,
		input_schema => { type => 'object' } });
	is($res->{status}, 201, 'workflow created') or return diag($res->{content});
	my @nodes = (
		{ node_id => 'trig', component_type => 'trigger_chat', position_x => 10, position_y => 20,
		  config => { trigger_config => { a => 1 }, priority => 3 } },
		{ node_id => 'agent1', component_type => 'agent', label => 'The agent',
		  config => { system_prompt => 'be brief', extra_config => { k => 'v' } } },
		{ node_id => 'model1', component_type => 'ai_model',
		  config => { model_name => 'gpt-x', temperature => 0.5, max_tokens => 100,
			      response_format => { type => 'json_object' } } },
		{ node_id => 'sw', component_type => 'switch' },
		{ node_id => 'c1', component_type => 'code' },
		{ node_id => 'c2', component_type => 'code' },
	);
	for my $n (@nodes) {
		($res) = req($t, $alice, 'POST', 'round-trip/nodes/', $n);
		is($res->{status}, 201, "node $n->{node_id}") or return diag($res->{content});
	}
	my @edges = (
		{ source_node_id => 'trig', target_node_id => 'agent1' },
		{ source_node_id => 'model1', target_node_id => 'agent1', edge_label => 'llm' },
		{ source_node_id => 'agent1', target_node_id => 'sw' },
		{ source_node_id => 'sw', target_node_id => 'c1', edge_type => 'conditional', condition_value => 'yes' },
		{ source_node_id => 'sw', target_node_id => 'c2', edge_type => 'conditional', condition_value => 'no',
		  priority => 2 },
	);
	for my $e (@edges) {
		($res) = req($t, $alice, 'POST', 'round-trip/edges/', $e);
		is($res->{status}, 201, "edge $e->{source_node_id} -> $e->{target_node_id}")
			or return diag($res->{content});
	}
	return 1;
}

sub export_doc {
	my ($t, $token, $slug) = @_;
	my ($res, $doc) = req($t, $token, 'GET', "$slug/export/");
	is($res->{status}, 200, "export $slug") or diag($res->{content});
	return $doc;
}

sub llm_link_of {
	my ($detail, $node_id) = @_;
	my ($n) = grep { $_->{node_id} eq $node_id } @{ $detail->{nodes} };
	return $n ? $n->{config}{llm_model_config_id} : undef;
}

sub test_round_trip {
	my ($t, $alice) = @_;
	my $doc = export_doc($t, $alice, 'round-trip') or return;
	is($doc->{format}, 'pipelit-workflow', 'format');
	is($doc->{version}, 1, 'version');
	is(scalar @{ $doc->{nodes} }, 6, 'six nodes');
	is(scalar @{ $doc->{edges} }, 5, 'five edges');
	ok(!exists $doc->{nodes}[0]{id} && !exists $doc->{edges}[0]{id}, 'no row ids');
	ok(!exists $doc->{nodes}[1]{config}{llm_model_config_id}, 'no raw llm link');
	my ($res, $detail) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 201, 'import') or return diag($res->{content});
	is($detail->{slug}, 'round-trip-2', 'a new slug on collision');
	is($detail->{node_count}, 6, 'node_count');
	is($detail->{edge_count}, 5, 'edge_count');
	ok(llm_link_of($detail, 'agent1'), 'the llm link is rebuilt');
	my $again = export_doc($t, $alice, 'round-trip-2') or return;
	is($again->{workflow}{slug}, 'round-trip-2', 'exported with its own slug');
	$again->{workflow}{slug} = $doc->{workflow}{slug};
	is_deeply($again, $doc, 'the second export equals the first but for the slug');
	($res, $detail) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 201, 'import again');
	is($detail->{slug}, 'round-trip-3', 'yet another slug');
}

sub workflow_count {
	my ($t) = @_;
	return $t->db_query('SELECT count(*) FROM workflows') . '/'
		. $t->db_query('SELECT count(*) FROM workflow_nodes') . '/'
		. $t->db_query('SELECT count(*) FROM component_configs') . '/'
		. $t->db_query('SELECT count(*) FROM workflow_edges');
}

sub test_invalid {
	my ($t, $alice) = @_;
	my $good = export_doc($t, $alice, 'round-trip') or return;
	my $before = workflow_count($t);
	my $copy = sub { my $d = JSON::PP->new->decode(JSON::PP->new->encode($good)); $_[0]->($d); $d };
	my @cases = (
		['not an object', [1, 2]],
		['wrong format', $copy->(sub { $_[0]{format} = 'other' })],
		['unknown node type', $copy->(sub { $_[0]{nodes}[0]{component_type} = 'teleporter' })],
		['duplicate node_id', $copy->(sub { $_[0]{nodes}[1]{node_id} = $_[0]{nodes}[0]{node_id} })],
		['edge to an unknown node', $copy->(sub { $_[0]{edges}[0]{target_node_id} = 'ghost' })],
		['conditional edge without value', $copy->(sub {
			my ($e) = grep { $_->{edge_type} eq 'conditional' } @{ $_[0]{edges} };
			$e->{condition_value} = '' })],
		['conditional edge from a code node', $copy->(sub {
			push @{ $_[0]{edges} }, { source_node_id => 'c1', target_node_id => 'c2',
				edge_type => 'conditional', condition_value => 'x' } })],
		['llm edge into a code node', $copy->(sub {
			push @{ $_[0]{edges} }, { source_node_id => 'model1', target_node_id => 'c1',
				edge_label => 'llm' } })],
		['a name that is a number', $copy->(sub { $_[0]{workflow}{name} = 5 })],
		['a credential that does not exist', $copy->(sub {
			my ($n) = grep { $_->{component_type} eq 'ai_model' } @{ $_[0]{nodes} };
			$n->{config}{llm_credential_id} = 999999 })],
	);
	for my $c (@cases) {
		my ($res, $j) = req($t, $alice, 'POST', 'import/', $c->[1]);
		is($res->{status}, 422, "$c->[0]: 422") or diag($res->{content});
		ok(ref $j eq 'HASH' && ref $j->{detail} eq 'ARRAY' && @{ $j->{detail} }
		   && ($j->{detail}[0]{msg} // '') ne '', "$c->[0]: a readable message")
			or diag($res->{content});
		is(workflow_count($t), $before, "$c->[0]: nothing written");
	}
}

sub test_scoping {
	my ($t, $alice, $bob) = @_;
	my ($res) = req($t, $bob, 'GET', 'round-trip/export/');
	is($res->{status}, 404, "another user's workflow is a 404 to export");
	($res) = req($t, $alice, 'GET', 'no-such/export/');
	is($res->{status}, 404, 'an unknown slug is a 404');
	my $doc = export_doc($t, $alice, 'round-trip') or return;
	my $j;
	($res, $j) = req($t, $bob, 'POST', 'import/', $doc);
	is($res->{status}, 201, 'bob imports alice\'s document');
	($res, $j) = req($t, $bob, 'GET', "$j->{slug}/");
	is($res->{status}, 200, 'and owns the copy');
	($res) = req($t, $alice, 'GET', "$j->{slug}/");
	is($res->{status}, 404, 'which alice does not see');

	# A document naming alice's credential: alice may import it, bob may
	# not (his copy would spend her key), and his refused import writes nothing.
	my $c = $t->request('POST', '/api/v1/credentials/', { headers => bearer($alice),
		content => { name => 'alice llm', credential_type => 'llm' } });
	is($c->{status}, 201, "alice's credential") or return diag($c->{content});
	my $cred = $t->json($c)->{id};
	my ($model) = grep { $_->{component_type} eq 'ai_model' } @{ $doc->{nodes} };
	$model->{config}{llm_credential_id} = $cred;
	($res) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 201, 'alice imports a document naming her credential') or diag($res->{content});
	my $before = workflow_count($t);
	($res, $j) = req($t, $bob, 'POST', 'import/', $doc);
	is($res->{status}, 422, "bob's import of a document naming alice's credential: 422")
		or diag($res->{content});
	is(workflow_count($t), $before, "bob's refused import wrote nothing");
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	build_workflow($t, $alice) or return;
	subtest 'round trip' => sub { test_round_trip($t, $alice) };
	subtest 'invalid documents' => sub { test_invalid($t, $alice) };
	subtest 'scoping' => sub { test_scoping($t, $alice, $bob) };
	$t->stop;
});

done_testing();
