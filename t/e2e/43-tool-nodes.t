# The tool node kinds (calculator, get_datetime, http_request, web_search)
# through the API on both backends: created with their config, wired
# tool -> agent with the label "tool" (and refused into a kind that takes
# no tools), each config rule refused on save with a 422 at
# config.extra_config that says why (nothing written), and web_search's
# SearXNG credential: kept in config.credential_id, only the owner's own
# SearXNG tool credential accepted, exported by name.  Also the
# categorizer's categories and the extractor's extraction_schema, checked
# on save the same way.
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
	my $res = $t->request($method, "/api/v1/$path", \%o);
	return ($res, $t->json($res));
}

sub created {
	my ($t, $token, $path, $body, $name) = @_;
	my ($res, $j) = req($t, $token, 'POST', $path, $body);
	is($res->{status}, 201, "$name: 201") or do { diag($res->{content}); return undef };
	return $j;
}

sub count {
	my ($t, $sql) = @_;
	return $t->db_query($sql) // '';
}

# A refused create: 422 at config.extra_config, with a message matching $why.
sub refused {
	my ($t, $token, $slug, $body, $why, $name) = @_;
	my ($res, $j) = req($t, $token, 'POST', "workflows/$slug/nodes/", $body);
	is($res->{status}, 422, "$name: 422") or do { diag($res->{content}); return };
	my $item = ref $j->{detail} eq 'ARRAY' ? $j->{detail}[0] : {};
	is_deeply([ @{ $item->{loc} // [] }[0 .. 2] ], [ 'body', 'config', 'extra_config' ],
		"$name: at config.extra_config") or diag($res->{content});
	like($item->{msg} // '', $why, "$name: says why") or diag($res->{content});
}

sub test_create_and_wire {
	my ($t, $alice) = @_;
	created($t, $alice, 'workflows/', { name => 'tools', slug => 'tools' }, 'workflow') or return;
	created($t, $alice, 'workflows/tools/nodes/', { node_id => 'agent', component_type => 'agent' }, 'agent')
		or return;
	my %config = (
		calculator => {},
		get_datetime => { timezone => 'Europe/Berlin' },
		http_request => { method => 'POST', headers => { 'X-Api-Version' => '2' }, timeout => 10,
			max_response_bytes => 65536 },
		web_search => {},
	);
	for my $kind (sort keys %config) {
		my $n = created($t, $alice, 'workflows/tools/nodes/', { node_id => $kind, component_type => $kind,
			config => { extra_config => $config{$kind} } }, $kind) or next;
		is_deeply($n->{config}{extra_config}, $config{$kind}, "$kind: its config is kept");
		my $e = created($t, $alice, 'workflows/tools/edges/', { source_node_id => $kind,
			target_node_id => 'agent', edge_label => 'tool' }, "$kind -> agent, label tool");
		is($e->{edge_label}, 'tool', "$kind: a tool edge") if $e;
	}
	my ($res, $j) = req($t, $alice, 'POST', 'workflows/tools/validate/');
	is($res->{status}, 200, 'validate answers');
	ok(!grep({ /calculator|get_datetime|http_request|web_search/ } @{ $j->{errors} // [] }),
		'and finds nothing wrong with the tools') or diag($res->{content});

	created($t, $alice, 'workflows/tools/nodes/', { node_id => 'sw', component_type => 'switch' }, 'switch')
		or return;
	($res, $j) = req($t, $alice, 'POST', 'workflows/tools/edges/', { source_node_id => 'calculator',
		target_node_id => 'sw', edge_label => 'tool' });
	is($res->{status}, 422, 'a tool edge into a switch: 422') or diag($res->{content});
	like(($j->{detail}{validation_errors} // [])->[0] // '', qr/does not accept 'tools' connections/,
		'because a switch takes no tools') or diag($res->{content});
}

sub test_config_rules {
	my ($t, $alice) = @_;
	created($t, $alice, 'workflows/', { name => 'tool-rules', slug => 'tool-rules' }, 'workflow') or return;
	my $before = count($t, 'SELECT count(*) FROM workflow_nodes');
	my @cases = (
		[ 'an unknown time zone', 'get_datetime', { timezone => 'Mars/Olympus_Mons' }, qr/Unknown time zone.*IANA/ ],
		[ 'a time zone path', 'get_datetime', { timezone => '../../etc/passwd' }, qr/Unknown time zone/ ],
		[ 'a time zone that is a number', 'get_datetime', { timezone => 5 }, qr/valid string/ ],
		[ 'a method HTTP lacks', 'http_request', { method => 'BREW' }, qr/'GET'.*'HEAD'/ ],
		[ 'a zero timeout', 'http_request', { timeout => 0 }, qr/greater than or equal to 1/ ],
		[ 'an hour-long timeout', 'http_request', { timeout => 3600 }, qr/less than or equal to 300/ ],
		[ 'a tiny response cap', 'http_request', { max_response_bytes => 10 }, qr/greater than or equal to 1024/ ],
		[ 'headers as a list', 'http_request', { headers => [ 'a' ] }, qr/valid dictionary/ ],
		[ 'a header value that is a number', 'http_request', { headers => { 'X-N' => 1 } }, qr/X-N.*string/ ],
		[ 'a header with a line break', 'http_request', { headers => { 'X-A' => "a\r\nHost: evil" } },
			qr/X-A.*control characters/ ],
		[ 'a header name with a space', 'http_request', { headers => { 'X A' => 'b' } }, qr/letters, digits/ ],
		[ 'a Host header', 'http_request', { headers => { Host => 'example.com' } }, qr/set by the request itself/ ],
		[ 'a Content-Length header', 'http_request', { headers => { 'content-length' => '5' } },
			qr/set by the request itself/ ],
	);
	for my $case (@cases) {
		my ($name, $kind, $extra, $why) = @$case;
		refused($t, $alice, 'tool-rules', { component_type => $kind, config => { extra_config => $extra } },
			$why, $name);
	}
	is(count($t, 'SELECT count(*) FROM workflow_nodes'), $before, 'nothing was written');

	created($t, $alice, 'workflows/tool-rules/nodes/', { node_id => 'dt', component_type => 'get_datetime',
		config => { extra_config => { timezone => '{{ trigger.payload.tz }}' } } },
		'a time zone that is a template (known at run time)') or return;
	created($t, $alice, 'workflows/tool-rules/nodes/', { node_id => 'utc', component_type => 'get_datetime' },
		'get_datetime without a zone (UTC)') or return;
	my ($res, $j) = req($t, $alice, 'PATCH', 'workflows/tool-rules/nodes/utc/',
		{ config => { extra_config => { timezone => 'Nowhere/Atall' } } });
	is($res->{status}, 422, 'an update to an unknown zone: 422') or diag($res->{content});
	($res, $j) = req($t, $alice, 'PATCH', 'workflows/tool-rules/nodes/utc/',
		{ config => { extra_config => { timezone => 'America/New_York' } } });
	is($res->{status}, 200, 'an update to a real zone: 200') or diag($res->{content});
	is($j->{config}{extra_config}{timezone}, 'America/New_York', 'kept');
}

sub test_search_credential {
	my ($t, $alice, $bob) = @_;
	created($t, $alice, 'workflows/', { name => 'search', slug => 'search' }, 'workflow') or return;
	my $sx = created($t, $alice, 'credentials/', { name => 'searx', credential_type => 'tool',
		detail => { tool_type => 'searxng', config => { url => 'http://127.0.0.1:1' } } }, 'a SearXNG credential')
		or return;
	my $api = created($t, $alice, 'credentials/', { name => 'other-tool', credential_type => 'tool',
		detail => { config => {} } }, 'a tool credential of another tool type') or return;
	my $llm = created($t, $alice, 'credentials/', { name => 'llm', credential_type => 'llm',
		detail => { api_key => 'sk-test-123456789', base_url => 'http://127.0.0.1:1' } }, 'an llm credential')
		or return;
	my $bobs = created($t, $bob, 'credentials/', { name => 'bobs', credential_type => 'tool',
		detail => { tool_type => 'searxng', config => { url => 'http://127.0.0.1:1' } } }, "bob's SearXNG credential")
		or return;

	my $n = created($t, $alice, 'workflows/search/nodes/', { node_id => 'ws', component_type => 'web_search',
		config => { credential_id => $sx->{id} } }, 'web_search with its credential') or return;
	is($n->{config}{credential_id}, $sx->{id}, 'config.credential_id is kept');
	my ($res, $j) = req($t, $alice, 'GET', 'workflows/search/nodes/');
	my ($ws) = grep { $_->{node_id} eq 'ws' } @{ $j // [] };
	is($ws->{config}{credential_id}, $sx->{id}, 'and listed');

	for my $case ([ 'an llm credential', $llm->{id} ], [ 'a tool credential that is not SearXNG', $api->{id} ]) {
		my ($name, $id) = @$case;
		($res, $j) = req($t, $alice, 'POST', 'workflows/search/nodes/', { component_type => 'web_search',
			config => { credential_id => $id } });
		is($res->{status}, 422, "$name: 422") or diag($res->{content});
		like($res->{content}, qr/SearXNG tool credential/, "$name: says what it takes");
	}
	($res, $j) = req($t, $alice, 'POST', 'workflows/search/nodes/', { component_type => 'web_search',
		config => { credential_id => $bobs->{id} } });
	is($res->{status}, 422, "another user's credential: 422") or diag($res->{content});
	like($res->{content}, qr/does not exist/, 'as if it did not exist');
	($res, $j) = req($t, $alice, 'PATCH', 'workflows/search/nodes/ws/', { config => { credential_id => $llm->{id} } });
	is($res->{status}, 422, 'an update to an llm credential: 422') or diag($res->{content});
	($res, $j) = req($t, $alice, 'GET', 'workflows/search/nodes/');
	($ws) = grep { $_->{node_id} eq 'ws' } @{ $j // [] };
	is($ws->{config}{credential_id}, $sx->{id}, 'the credential is unchanged');

	my $calc = created($t, $alice, 'workflows/search/nodes/', { node_id => 'calc', component_type => 'calculator',
		config => { credential_id => $sx->{id} } }, 'a calculator given a credential');
	is($calc->{config}{credential_id}, undef, 'keeps none') if $calc;

	($res, $j) = req($t, $alice, 'GET', 'workflows/search/export/');
	is($res->{status}, 200, 'export') or diag($res->{content});
	my ($doc_ws) = grep { $_->{node_id} eq 'ws' } @{ $j->{nodes} // [] };
	is_deeply($doc_ws->{config}{credential}, { name => 'searx', credential_type => 'tool' },
		'the document names the credential, not its id');
	ok(!exists $doc_ws->{config}{credential_id}, 'without the id');

	my $doc = $j;
	($res, $j) = req($t, $alice, 'POST', 'workflows/import/', $doc);
	is($res->{status}, 201, 'alice imports it') or return diag($res->{content});
	my ($imported) = grep { $_->{node_id} eq 'ws' } @{ $j->{nodes} // [] };
	is($imported->{config}{credential_id}, $sx->{id}, 'the reference resolves to her SearXNG credential');
	is_deeply($j->{unresolved_credentials}, [], 'nothing unresolved');
	($res, $j) = req($t, $bob, 'POST', 'workflows/import/', $doc);
	is($res->{status}, 201, 'bob imports it') or return diag($res->{content});
	($imported) = grep { $_->{node_id} eq 'ws' } @{ $j->{nodes} // [] };
	is($imported->{config}{credential_id}, undef, 'with no credential: he has none of that name');
	is_deeply([ map { "$_->{node_id} $_->{field} $_->{name}" } @{ $j->{unresolved_credentials} // [] } ],
		[ 'ws credential_id searx' ], 'and the reference is listed unresolved');
}

sub test_ai_config {
	my ($t, $alice) = @_;
	created($t, $alice, 'workflows/', { name => 'ai-rules', slug => 'ai-rules' }, 'workflow') or return;
	my $before = count($t, 'SELECT count(*) FROM workflow_nodes');
	my @cases = (
		[ 'categories as a string', 'categorizer', { categories => 'a,b' }, qr/valid list/ ],
		[ 'a category without a name', 'categorizer', { categories => [ { description => 'x' } ] },
			qr/Category 0: name should be/ ],
		[ 'the same category twice', 'categorizer', { categories => [ { name => 'a' }, { name => 'a' } ] },
			qr/already category 0/ ],
		[ 'an extraction schema that is a list', 'extractor', { extraction_schema => [ 'name' ] },
			qr/should describe an object/ ],
		[ 'an extraction schema of a string', 'extractor', { extraction_schema => { type => 'string' } },
			qr/should describe an object/ ],
		[ 'an extraction schema with a made-up type', 'extractor',
			{ extraction_schema => { type => 'object', properties => { zip => { type => 'zipcode' } } } },
			qr/schema\.properties\.zip: type: 'zipcode' is not a type/ ],
		[ 'an extraction schema with required as a string', 'extractor',
			{ extraction_schema => { type => 'object', properties => {}, required => 'zip' } },
			qr/required should be a list/ ],
		[ 'an agent summarising past 500 %', 'agent', { compacting => 'summarize', compacting_trigger => 500 },
			qr/less than or equal to 100/ ],
		[ 'an agent with a made-up compacting', 'agent', { compacting => 'forget' }, qr/'trim' or 'summarize'/ ],
		[ 'an agent with max_steps as a string', 'agent', { max_steps => 'many' }, qr/valid integer/ ],
	);
	for my $case (@cases) {
		my ($name, $kind, $extra, $why) = @$case;
		refused($t, $alice, 'ai-rules', { component_type => $kind, config => { extra_config => $extra } },
			$why, $name);
	}
	is(count($t, 'SELECT count(*) FROM workflow_nodes'), $before, 'nothing was written');

	my $schema = { type => 'object', required => ['name'], properties => {
		name => { type => 'string' }, tags => { type => 'array', items => { type => 'string' } },
		address => { type => 'object', properties => { zip => { type => 'string' } } } } };
	my $x = created($t, $alice, 'workflows/ai-rules/nodes/', { node_id => 'x', component_type => 'extractor',
		config => { system_prompt => 'Find the customer.', extra_config => { extraction_schema => $schema } } },
		'an extractor with a nested object schema');
	is_deeply($x->{config}{extra_config}{extraction_schema}, $schema, 'its schema is kept') if $x;
	created($t, $alice, 'workflows/ai-rules/nodes/', { node_id => 'c', component_type => 'categorizer',
		config => { extra_config => { categories => [ { name => 'billing', description => 'Invoices' },
			{ name => 'other' } ] } } }, 'a categorizer with two categories') or return;
	my ($res) = req($t, $alice, 'PATCH', 'workflows/ai-rules/nodes/x/',
		{ config => { extra_config => { extraction_schema => { type => 'object' } } } });
	is($res->{status}, 422, 'an update to a schema without properties: 422') or diag($res->{content});
	my ($r2, $j) = req($t, $alice, 'GET', 'workflows/ai-rules/nodes/');
	my ($stored) = grep { $_->{node_id} eq 'x' } @{ $j // [] };
	is_deeply($stored->{config}{extra_config}{extraction_schema}, $schema, 'the stored schema is unchanged');
	created($t, $alice, 'workflows/ai-rules/nodes/', { node_id => 'a', component_type => 'agent',
		config => { extra_config => { compacting => 'summarize', compacting_trigger => 60, compacting_keep => 8,
			max_steps => 40 } } }, 'an agent with its compacting settings') or return;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	subtest 'create and wire' => sub { test_create_and_wire($t, $alice) };
	subtest 'config rules' => sub { test_config_rules($t, $alice) };
	subtest 'web_search credential' => sub { test_search_credential($t, $alice, $bob) };
	subtest 'categorizer and extractor config' => sub { test_ai_config($t, $alice) };
});

done_testing();
