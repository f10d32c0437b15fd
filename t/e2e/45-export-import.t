# Workflow export and import: a graph of several node kinds built through
# the API is exported, imported (a new slug, since the old one is taken)
# and exported again, and the two documents are equal but for the slug;
# llm links are rebuilt from the llm edges; invalid documents are a 422
# that writes nothing; another user's workflow is a 404 to export.
# Credentials travel by name and type, never by id or with secrets, and
# resolve only to the importing user's own (unresolved ones are listed).
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
	is($doc->{version}, 2, 'version');
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
		['a credential reference without a name', $copy->(sub {
			my ($n) = grep { $_->{component_type} eq 'ai_model' } @{ $_[0]{nodes} };
			$n->{config}{llm_credential} = { credential_type => 'llm' } })],
		['a credential reference of an unknown type', $copy->(sub {
			my ($n) = grep { $_->{component_type} eq 'ai_model' } @{ $_[0]{nodes} };
			$n->{config}{llm_credential} = { name => 'x', credential_type => 'magic' } })],
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

# Import checks each field with the check of the route that creates it:
# what the nodes, edges and workflows APIs refuse, import refuses, and the
# item's loc points into the document.
sub test_same_checks {
	my ($t, $alice) = @_;
	my $good = export_doc($t, $alice, 'round-trip') or return;
	my $before = workflow_count($t);
	my $copy = sub { my $d = JSON::PP->new->decode(JSON::PP->new->encode($good)); $_[0]->($d); $d };
	my @cases = (
		[ 'a 300-character label', sub { $_[0]{nodes}[3]{label} = 'x' x 300 },
		  [ 'body', 'nodes', 3, 'label' ], 'string_too_long', { label => 'y' x 300 } ],
		[ 'position_x 3e9', sub { $_[0]{nodes}[3]{position_x} = 3_000_000_000 },
		  [ 'body', 'nodes', 3, 'position_x' ], 'less_than_equal', { position_x => 3_000_000_000 } ],
		[ 'a temperature that is no number', sub { $_[0]{nodes}[2]{config}{temperature} = 'hot' },
		  [ 'body', 'nodes', 2, 'config', 'temperature' ], 'float_parsing',
		  { config => { temperature => 'hot' } } ],
		[ 'a node called __end__', sub { $_[0]{nodes}[4]{node_id} = '__end__' },
		  [ 'body', 'nodes', 4, 'node_id' ], 'value_error', { node_id => '__end__' } ],
		[ 'a node without node_id', sub { delete $_[0]{nodes}[5]{node_id} },
		  [ 'body', 'nodes', 5, 'node_id' ], 'missing' ],
		[ 'an edge label that is no label', sub { $_[0]{edges}[1]{edge_label} = 'memory' },
		  [ 'body', 'edges', 1, 'edge_label' ], 'literal_error', undef, 'edges/' ],
		[ 'an edge to a node not in the document', sub { $_[0]{edges}[0]{target_node_id} = 'ghost' },
		  [ 'body', 'edges', 0, 'target_node_id' ], 'value_error' ],
		[ 'a workflow name of 300 characters', sub { $_[0]{workflow}{name} = 'n' x 300 },
		  [ 'body', 'workflow', 'name' ], 'string_too_long', { name => 'n' x 300 }, '' ],
		[ 'a malformed slug', sub { $_[0]{workflow}{slug} = 'Not A Slug' },
		  [ 'body', 'workflow', 'slug' ], 'string_pattern_mismatch', { name => 'x', slug => 'Not A Slug' }, '' ],
	);
	for my $c (@cases) {
		my ($name, $edit, $loc, $type, $api_body, $api_path) = @$c;
		my ($res, $j) = req($t, $alice, 'POST', 'import/', $copy->($edit));
		is($res->{status}, 422, "$name: 422") or diag($res->{content});
		my ($item) = grep { JSON::PP->new->canonical->encode($_->{loc}) eq JSON::PP->new->canonical->encode($loc) }
			@{ ref $j->{detail} eq 'ARRAY' ? $j->{detail} : [] };
		ok($item, "$name: at " . join('.', @$loc)) or diag($res->{content});
		is($item->{type}, $type, "$name: $type") if $item;
		is(workflow_count($t), $before, "$name: nothing written");
		next unless $api_body;
		# The route that creates the thing refuses it alike.
		$api_path //= 'round-trip/nodes/';
		$api_path = "round-trip/$api_path" if $api_path eq 'edges/';
		my $body = { component_type => 'code', %$api_body };
		$body = { source_node_id => 'c1', target_node_id => 'c2', edge_label => 'memory' } if $api_path =~ /edges/;
		$body = $api_body if $api_path eq '';
		my ($r2, $j2) = req($t, $alice, 'POST', $api_path, $body);
		is($r2->{status}, 422, "$name: the API refuses it too") or diag($r2->{content});
		is(((ref $j2->{detail} eq 'ARRAY' ? $j2->{detail}[0] : {})->{type}) // '', $type, "$name: with $type");
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

}

sub node_of {
	my ($detail, $node_id) = @_;
	my ($n) = grep { $_->{node_id} eq $node_id } @{ $detail->{nodes} // [] };
	return $n // {};
}

sub credential {
	my ($t, $token, $name, $type, $detail) = @_;
	my $res = $t->request('POST', '/api/v1/credentials/', { headers => bearer($token),
		content => { name => $name, credential_type => $type, detail => $detail } });
	is($res->{status}, 201, "credential $name") or diag($res->{content});
	return ($t->json($res) // {})->{id};
}

# Credentials in a document: by name and type, never an id or a secret;
# resolved to the importing user's one credential of that name and type,
# else left null and listed; an old document's ids count only as the
# importer's own.
sub test_credentials {
	my ($t, $alice, $bob) = @_;
	my $secret = 'sk-alice-secret-0123456789';
	my $llm = credential($t, $alice, 'main llm', 'llm', { api_key => $secret }) or return;
	my $tg = credential($t, $alice, 'bot', 'tool') or return;
	my ($res) = req($t, $alice, 'PATCH', 'round-trip/nodes/model1/', { config => { llm_credential_id => $llm } });
	is($res->{status}, 200, 'the model names her llm credential') or return diag($res->{content});
	($res) = req($t, $alice, 'PATCH', 'round-trip/nodes/trig/', { config => { credential_id => $tg } });
	is($res->{status}, 200, 'the trigger names her tool credential') or return diag($res->{content});

	my ($r, $doc) = req($t, $alice, 'GET', 'round-trip/export/');
	unlike($r->{content}, qr/credential_id/, 'the export carries no credential id');
	unlike($r->{content}, qr/\Q$secret\E|\Q${\ substr($secret, 0, 4)}\E\*/, 'nor the secret, masked or not');
	is_deeply(node_of($doc, 'model1')->{config}{llm_credential}, { name => 'main llm', credential_type => 'llm' },
		'the model names its credential by name and type');
	is_deeply(node_of($doc, 'trig')->{config}{credential}, { name => 'bot', credential_type => 'tool' },
		'the trigger too');
	ok(!exists node_of($doc, 'agent1')->{config}{llm_credential}, 'kinds that keep no credential name none');

	my $j;
	($res, $j) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 201, 'alice imports it') or return diag($res->{content});
	is_deeply($j->{unresolved_credentials}, [], 'every reference resolved');
	is(node_of($j, 'model1')->{config}{llm_credential_id}, $llm, 'to her llm credential');
	is(node_of($j, 'trig')->{config}{credential_id}, $tg, 'and her tool credential');

	($res, $j) = req($t, $bob, 'POST', 'import/', $doc);
	is($res->{status}, 201, 'bob imports it') or return diag($res->{content});
	is(node_of($j, 'model1')->{config}{llm_credential_id}, undef, 'with nothing attached: he has no such credential');
	is_deeply([ sort { $a->{node_id} cmp $b->{node_id} } @{ $j->{unresolved_credentials} // [] } ], [
		{ node_id => 'model1', field => 'llm_credential_id', name => 'main llm', credential_type => 'llm',
		  credential_id => undef },
		{ node_id => 'trig', field => 'credential_id', name => 'bot', credential_type => 'tool',
		  credential_id => undef } ], 'and both references listed as unresolved') or diag($res->{content});

	my $bobs = credential($t, $bob, 'main llm', 'llm') or return;
	credential($t, $bob, 'main llm', 'git');
	($res, $j) = req($t, $bob, 'POST', 'import/', $doc);
	is(node_of($j, 'model1')->{config}{llm_credential_id}, $bobs, 'with his own of that name and type, his');
	is(scalar @{ $j->{unresolved_credentials} // [] }, 1, 'only the trigger\'s stays unresolved');
	credential($t, $bob, 'main llm', 'llm');
	($res, $j) = req($t, $bob, 'POST', 'import/', $doc);
	is(node_of($j, 'model1')->{config}{llm_credential_id}, undef, 'two of them: none is guessed');
	is(scalar @{ $j->{unresolved_credentials} // [] }, 2, 'and the reference is listed');

	# A version 1 document names ids: kept only as the importer's own.
	my $old = JSON::PP->new->decode(JSON::PP->new->encode($doc));
	$old->{version} = 1;
	for my $n (@{ $old->{nodes} }) {
		my $c = $n->{config};
		$c->{llm_credential_id} = delete($c->{llm_credential}) ? $llm : undef if exists $c->{llm_credential};
		$c->{credential_id} = delete($c->{credential}) ? $tg : undef if exists $c->{credential};
	}
	($res, $j) = req($t, $alice, 'POST', 'import/', $old);
	is($res->{status}, 201, 'alice imports an old document with her ids') or return diag($res->{content});
	is(node_of($j, 'model1')->{config}{llm_credential_id}, $llm, 'her id is kept');
	is_deeply($j->{unresolved_credentials}, [], 'nothing unresolved');
	my $before = $t->db_query('SELECT count(*) FROM workflows');
	($res, $j) = req($t, $bob, 'POST', 'import/', $old);
	is($res->{status}, 201, 'bob imports the same old document') or return diag($res->{content});
	is(node_of($j, 'model1')->{config}{llm_credential_id}, undef, "alice's id is not trusted for him");
	is_deeply([ map { $_->{credential_id} } sort { $a->{node_id} cmp $b->{node_id} }
		@{ $j->{unresolved_credentials} // [] } ], [ $llm, $tg ], 'the ids are listed unresolved');
	ok(!grep({ defined $_->{name} } @{ $j->{unresolved_credentials} // [] }),
		"and alice's credential names are not told");
	node_of($old, 'model1')->{config}{llm_credential_id} = 999999;
	($res, $j) = req($t, $alice, 'POST', 'import/', $old);
	is($res->{status}, 201, 'an id that names nothing imports') or diag($res->{content});
	is($j->{unresolved_credentials}[0]{credential_id}, 999999, 'listed unresolved');
	is($t->db_query('SELECT count(*) FROM workflows'), $before + 2, 'one workflow per import');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	build_workflow($t, $alice) or return;
	subtest 'round trip' => sub { test_round_trip($t, $alice) };
	subtest 'invalid documents' => sub { test_invalid($t, $alice) };
	subtest 'the checks of the API' => sub { test_same_checks($t, $alice) };
	subtest 'scoping' => sub { test_scoping($t, $alice, $bob) };
	subtest 'credentials by reference' => sub { test_credentials($t, $alice, $bob) };
	$t->stop;
});

done_testing();
