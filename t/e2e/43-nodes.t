# Nodes (/api/v1/workflows/{slug}/nodes/...): create with given and
# generated ids (409 on a duplicate), config fields kept by node kind,
# update, delete removing the node's edges, config and references to it,
# scoping, hostile bodies (422, nothing written), node_created heard by
# a live subscriber, and each kind's config checked on save.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use PipelitTest;
use PipelitAuth;
use PipelitEvents;

need_nginx();

sub req {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/workflows/$path", \%o);
	return ($res, $t->json($res));
}

sub make_wf {
	my ($t, $token, $slug) = @_;
	my ($res, $j) = req($t, $token, 'POST', '', { name => $slug, slug => $slug });
	is($res->{status}, 201, "workflow $slug") or diag($res->{content});
	return $j;
}

sub node {
	my ($t, $token, $slug, $body, $name) = @_;
	my ($res, $j) = req($t, $token, 'POST', "$slug/nodes/", $body);
	is($res->{status}, 201, "create $name: 201") or do { diag($res->{content}); return undef };
	return $j;
}

sub count {
	my ($t, $sql) = @_;
	return $t->db_query($sql) // '';
}

my @NODE_KEYS = qw(id node_id label component_type is_entry_point interrupt_before interrupt_after
	position_x position_y config subworkflow_id code_block_id updated_at schedule_job);

sub test_crud {
	my ($t, $alice) = @_;
	make_wf($t, $alice, 'nodes-a') or return;
	my $n = node($t, $alice, 'nodes-a', { node_id => 'agent_1', component_type => 'agent', label => 'Helper',
		position_x => 10, position_y => '-20', is_entry_point => 'true',
		config => { system_prompt => 'Be brief.', extra_config => { k => 1 }, model_name => 'dropped',
			temperature => 0.5, priority => 9 } }, 'agent') or return;
	is_deeply([sort keys %$n], [sort @NODE_KEYS], 'NodeOut keys');
	is($n->{node_id}, 'agent_1', 'given node_id kept');
	is($n->{label}, 'Helper', 'label');
	is($n->{position_x} . ',' . $n->{position_y}, '10,-20', 'positions (lax int)');
	ok($n->{is_entry_point}, 'is_entry_point');
	is($n->{config}{system_prompt}, 'Be brief.', 'agent keeps system_prompt');
	is_deeply($n->{config}{extra_config}, { k => 1 }, 'extra_config');
	is($n->{config}{model_name}, '', 'model fields not stored for an agent');
	is($n->{config}{temperature}, undef, 'temperature null for an agent');
	is($n->{config}{priority}, 0, 'trigger defaults for a non-trigger');
	ok(exists $n->{config}{input_template} && !defined $n->{config}{input_template}, 'input_template null');
	like($n->{updated_at}, qr/Z$/, 'updated_at ISO-8601 with Z');

	my $g = node($t, $alice, 'nodes-a', { component_type => 'trigger_chat',
		config => { system_prompt => 'dropped' } }, 'generated id') or return;
	like($g->{node_id}, qr/^trigger_chat_[0-9a-f]{8}$/, 'generated id <type>_<8 hex>');
	is($g->{config}{system_prompt}, '', 'a trigger drops system_prompt');
	ok($g->{config}{is_active}, 'trigger is_active default true');
	is($g->{config}{priority}, 0, 'trigger priority default 0');
	is_deeply($g->{config}{trigger_config}, {}, 'trigger_config default {}');
	is($g->{label}, undef, 'label null');

	my $m = node($t, $alice, 'nodes-a', { node_id => 'model_1', component_type => 'ai_model',
		config => { model_name => 'gpt-x', temperature => '0.25', max_tokens => 100, top_p => 1,
			response_format => { type => 'json_object' }, system_prompt => 'no' } }, 'ai_model') or return;
	is($m->{config}{model_name}, 'gpt-x', 'ai_model model_name');
	is($m->{config}{temperature}, 0.25, 'temperature (lax float)');
	is($m->{config}{max_tokens}, 100, 'max_tokens');
	is_deeply($m->{config}{response_format}, { type => 'json_object' }, 'response_format');
	is($m->{config}{system_prompt}, '', 'ai_model drops system_prompt');

	my $h = node($t, $alice, 'nodes-a', { component_type => 'human_confirmation', interrupt_before => JSON::PP::false },
		'human_confirmation') or return;
	ok($h->{interrupt_before}, 'human_confirmation interrupts before');

	my ($res) = req($t, $alice, 'POST', 'nodes-a/nodes/', { node_id => 'agent_1', component_type => 'agent' });
	is_detail($t, $res, 409, "Node with id 'agent_1' already exists.", 'duplicate node_id');
	($res) = req($t, $alice, 'POST', 'nodes-a/nodes/', { component_type => 'create_agent_user' });
	is_validation($t, $res, 'unknown type');
	is($t->json($res)->{detail}[0]{type}, 'literal_error', 'unknown type: literal_error');

	my $j;
	($res, $j) = req($t, $alice, 'GET', 'nodes-a/nodes/');
	is($res->{status}, 200, 'list: 200');
	is_deeply([map { $_->{node_id} } @$j], ['agent_1', $g->{node_id}, 'model_1', $h->{node_id}], 'list in id order');

	($res, $j) = req($t, $alice, 'PATCH', 'nodes-a/nodes/agent_1/', { label => 'Renamed', position_x => 5,
		config => { system_prompt => 'New.', extra_config => { z => 2 }, temperature => 0.9 } });
	is($res->{status}, 200, 'PATCH: 200') or diag($res->{content});
	is($j->{label}, 'Renamed', 'label changed');
	is($j->{position_x} . ',' . $j->{position_y}, '5,-20', 'only sent keys applied');
	is($j->{config}{system_prompt}, 'New.', 'system_prompt updated');
	is_deeply($j->{config}{extra_config}, { z => 2 }, 'extra_config replaced');
	($res, $j) = req($t, $alice, 'PATCH', 'nodes-a/nodes/model_1/', { config => { temperature => 0.7 } });
	is($j->{config}{temperature}, 0.7, 'ai_model temperature updated');
	($res, $j) = req($t, $alice, 'PATCH', "nodes-a/nodes/$h->{node_id}/", { interrupt_before => JSON::PP::false });
	ok($j->{interrupt_before}, 'human_confirmation ignores interrupt_before');
	($res, $j) = req($t, $alice, 'PATCH', 'nodes-a/nodes/agent_1/', { node_id => 'agent_2' });
	is($j->{node_id}, 'agent_2', 'node_id renamed');
	($res) = req($t, $alice, 'PATCH', 'nodes-a/nodes/agent_2/', { node_id => 'model_1' });
	is_detail($t, $res, 409, "Node with id 'model_1' already exists.", 'rename onto a taken id');
	($res) = req($t, $alice, 'PATCH', 'nodes-a/nodes/nope/', { label => 'x' });
	is_detail($t, $res, 404, 'Node not found.', 'PATCH unknown node');

	($res, $j) = req($t, $alice, 'GET', 'nodes-a/');
	is(scalar @{ $j->{nodes} }, 4, 'the detail renders the same nodes');
	is($j->{nodes}[0]{config}{system_prompt}, 'New.', 'detail config');
}

sub test_delete {
	my ($t, $alice) = @_;
	my $w = make_wf($t, $alice, 'nodes-del') or return;
	my $a = node($t, $alice, 'nodes-del', { node_id => 'a', component_type => 'agent' }, 'a') or return;
	my $m = node($t, $alice, 'nodes-del', { node_id => 'm', component_type => 'ai_model' }, 'm') or return;
	my $c = node($t, $alice, 'nodes-del', { node_id => 'c', component_type => 'code' }, 'c') or return;
	my $id = $w->{id};
	my $mcfg = count($t, "SELECT component_config_id FROM workflow_nodes WHERE workflow_id = $id AND node_id = 'm'");
	my $acfg = count($t, "SELECT component_config_id FROM workflow_nodes WHERE workflow_id = $id AND node_id = 'a'");
	$t->db_query("UPDATE component_configs SET llm_model_config_id = $mcfg WHERE id = $acfg") // return;
	$t->db_query("INSERT INTO workflow_edges (workflow_id, source_node_id, target_node_id, edge_type, edge_label, "
		. "condition_value, priority) VALUES ($id, 'm', 'a', 'direct', 'llm', '', 0), "
		. "($id, 'a', 'c', 'direct', '', '', 0)") // return;
	my ($res) = req($t, $alice, 'DELETE', 'nodes-del/nodes/m/');
	is($res->{status}, 204, 'DELETE: 204');
	is($res->{content} // '', '', 'empty body');
	is(count($t, "SELECT count(*) FROM workflow_nodes WHERE workflow_id = $id AND node_id = 'm'"), '0', 'node gone');
	is(count($t, "SELECT count(*) FROM component_configs WHERE id = $mcfg"), '0', 'its config gone');
	is(count($t, "SELECT count(*) FROM workflow_edges WHERE workflow_id = $id"), '1', 'its edge gone, the other stays');
	is(count($t, "SELECT count(*) FROM component_configs WHERE id = $acfg AND llm_model_config_id IS NULL"), '1',
		'references to its config nulled');
	($res) = req($t, $alice, 'DELETE', 'nodes-del/nodes/m/');
	is_detail($t, $res, 404, 'Node not found.', 'DELETE again');
}

# PATCH of node_id carries the node's edges along in the same write: the
# detail (read twice, so a kept rendering would show) and validate see the
# graph whole under the new id.
sub test_rename {
	my ($t, $alice) = @_;
	my $w = make_wf($t, $alice, 'nodes-ren') or return;
	node($t, $alice, 'nodes-ren', { node_id => $_->[0], component_type => $_->[1] }, $_->[0]) or return
		for [ 'm', 'ai_model' ], [ 'a', 'agent' ], [ 'c', 'code' ], [ 't', 'trigger_manual' ];
	for my $e ([ 'm', 'a', 'llm' ], [ 'c', 'a', '' ], [ 'a', 'c', '' ]) {
		my ($res) = req($t, $alice, 'POST', 'nodes-ren/edges/',
			{ source_node_id => $e->[0], target_node_id => $e->[1], edge_label => $e->[2] });
		is($res->{status}, 201, "edge $e->[0] -> $e->[1]") or return diag($res->{content});
	}
	my ($res, $j) = req($t, $alice, 'GET', 'nodes-ren/');
	is($res->{status}, 200, 'the detail before, so a responder keeps it');
	($res, $j) = req($t, $alice, 'PATCH', 'nodes-ren/nodes/a/', { node_id => 'agent' });
	is($res->{status}, 200, 'rename a to agent') or return diag($res->{content});
	($res, $j) = req($t, $alice, 'GET', 'nodes-ren/edges/');
	is_deeply([ map { "$_->{source_node_id}>$_->{target_node_id}" } @{ $j // [] } ],
		[ 'm>agent', 'c>agent', 'agent>c' ], 'every edge follows the new id');
	for (1 .. 2) {
		($res, $j) = req($t, $alice, 'GET', 'nodes-ren/');
		is_deeply([ map { "$_->{source_node_id}>$_->{target_node_id}" } @{ $j->{edges} // [] } ],
			[ 'm>agent', 'c>agent', 'agent>c' ], "the detail shows them (read $_)");
	}
	is(count($t, "SELECT count(*) FROM workflow_edges WHERE workflow_id = $w->{id} "
		. "AND (source_node_id = 'a' OR target_node_id = 'a')"), '0', 'no edge names the old id');
	($res, $j) = req($t, $alice, 'POST', 'nodes-ren/validate/');
	is_deeply($j, { valid => JSON::PP::true, errors => [] }, 'the graph is still valid') or diag(explain $j);
	($res) = req($t, $alice, 'PATCH', 'nodes-ren/nodes/agent/', { node_id => 'c' });
	is_detail($t, $res, 409, "Node with id 'c' already exists.", 'a rename onto a taken id');
	($res, $j) = req($t, $alice, 'GET', 'nodes-ren/edges/');
	is(scalar(grep { $_->{source_node_id} eq 'agent' || $_->{target_node_id} eq 'agent' } @{ $j // [] }), 3,
		'and the refused rename moved no edge');
	($res) = req($t, $alice, 'DELETE', 'nodes-ren/nodes/agent/');
	is($res->{status}, 204, 'the renamed node deletes');
	is(count($t, "SELECT count(*) FROM workflow_edges WHERE workflow_id = $w->{id}"), '0',
		'and its edges go with it');
}

sub test_scoping {
	my ($t, $alice, $bob, $admin) = @_;
	make_wf($t, $bob, 'nodes-bob') or return;
	node($t, $bob, 'nodes-bob', { node_id => 'b1', component_type => 'agent' }, "bob's node") or return;
	for my $m (['GET', 'nodes-bob/nodes/', undef], ['POST', 'nodes-bob/nodes/', { component_type => 'agent' }],
		   ['PATCH', 'nodes-bob/nodes/b1/', { label => 'x' }], ['DELETE', 'nodes-bob/nodes/b1/', undef]) {
		my ($res) = req($t, $alice, $m->[0], $m->[1], $m->[2]);
		is_detail($t, $res, 404, 'Workflow not found.', "alice $m->[0] on bob's workflow");
	}
	my ($res, $j) = req($t, $admin, 'GET', 'nodes-bob/nodes/');
	is(scalar @$j, 1, "admin lists bob's nodes");
	is(count($t, "SELECT count(*) FROM workflow_nodes WHERE node_id = 'b1'"), '1', "bob's node untouched");
	($res) = $t->request('GET', '/api/v1/workflows/nodes-bob/nodes/');
	is($res->{status}, 401, 'no auth: 401');

	# A config may name only credentials of the workflow's owner: the
	# engine would spend them.  Another user's is "does not exist".
	my %cred;
	for my $who (['alice', $alice], ['bob', $bob]) {
		my $c = $t->request('POST', '/api/v1/credentials/', { headers => bearer($who->[1]),
			content => { name => "$who->[0] llm", credential_type => 'llm' } });
		is($c->{status}, 201, "$who->[0]'s credential") or return diag($c->{content});
		$cred{$who->[0]} = $t->json($c)->{id};
	}
	my $before = count($t, 'SELECT count(*) FROM component_configs');
	($res) = req($t, $bob, 'POST', 'nodes-bob/nodes/', { node_id => 'm1', component_type => 'ai_model',
		config => { llm_credential_id => $cred{alice} } });
	is_validation($t, $res, "bob's ai_model naming alice's credential");
	($res) = req($t, $bob, 'POST', 'nodes-bob/nodes/', { node_id => 't1', component_type => 'trigger_chat',
		config => { credential_id => $cred{alice} } });
	is_validation($t, $res, "bob's trigger naming alice's credential");
	is(count($t, 'SELECT count(*) FROM component_configs'), $before, 'nothing written');
	my $m = node($t, $bob, 'nodes-bob', { node_id => 'm1', component_type => 'ai_model',
		config => { llm_credential_id => $cred{bob} } }, "bob's ai_model with his own credential") or return;
	is($m->{config}{llm_credential_id}, $cred{bob}, 'his own credential is taken');
	($res) = req($t, $bob, 'PATCH', 'nodes-bob/nodes/m1/', { config => { llm_credential_id => $cred{alice} } });
	is_validation($t, $res, "moving bob's node to alice's credential");
	($res, $j) = req($t, $bob, 'GET', 'nodes-bob/nodes/');
	my ($kept) = grep { $_->{node_id} eq 'm1' } @$j;
	is($kept->{config}{llm_credential_id}, $cred{bob}, 'the refused update left his credential');
	($res) = req($t, $admin, 'POST', 'nodes-bob/nodes/', { component_type => 'ai_model',
		config => { llm_credential_id => $cred{alice} } });
	is_validation($t, $res, "an admin cannot put alice's credential into bob's workflow either");
}

sub test_hostile {
	my ($t, $alice) = @_;
	my $w = make_wf($t, $alice, 'nodes-h') or return;
	my @bad = (
		['not an object', [1, 2]],
		['missing type', { node_id => 'x' }],
		['type a number', { component_type => 7 }],
		['node_id a number', { component_type => 'agent', node_id => 5 }],
		['empty node_id', { component_type => 'agent', node_id => '' }],
		['long node_id', { component_type => 'agent', node_id => 'x' x 256 }],
		['long label', { component_type => 'agent', label => 'x' x 256 }],
		['position a string', { component_type => 'agent', position_x => 'left' }],
		['position too big', { component_type => 'agent', position_y => 2**40 }],
		['config a list', { component_type => 'agent', config => [] }],
		['temperature text', { component_type => 'ai_model', config => { temperature => 'hot' } }],
		['extra_config a string', { component_type => 'agent', config => { extra_config => 'x' } }],
		['is_active text', { component_type => 'trigger_chat', config => { is_active => 'maybe' } }],
		['sql in the type', { component_type => "agent'; DROP TABLE workflow_nodes; --" }],
	);
	for my $b (@bad) {
		my ($res) = req($t, $alice, 'POST', 'nodes-h/nodes/', $b->[1]);
		is_validation($t, $res, $b->[0]);
	}
	my ($res, $j) = req($t, $alice, 'POST', 'nodes-h/nodes/', { component_type => 'ai_model',
		config => { temperature => 'hot' } });
	is_deeply($j->{detail}[0]{loc}, ['body', 'config', 'temperature'], 'a config error names its key');
	($res) = req($t, $alice, 'POST', 'nodes-h/nodes/', { component_type => 'trigger_chat',
		config => { credential_id => 999999 } });
	is_validation($t, $res, 'a credential that does not exist');
	($res) = req($t, $alice, 'POST', 'nodes-h/nodes/', { component_type => 'agent', subworkflow_id => 999999 });
	is_validation($t, $res, 'a subworkflow that does not exist');
	is(count($t, "SELECT count(*) FROM workflow_nodes WHERE workflow_id = $w->{id}"), '0', 'no node written');
	is(count($t, "SELECT count(*) FROM component_configs c WHERE NOT EXISTS "
		. "(SELECT 1 FROM workflow_nodes n WHERE n.component_config_id = c.id)"), '0', 'no orphan config written');
	($res) = $t->request('POST', '/api/v1/workflows/nodes-h/nodes/', { headers => bearer($alice),
		content => '{"component_type": "agent",' });
	ok($res->{status} == 422 || $res->{status} == 400, 'broken JSON: 4xx');
	($res) = req($t, $alice, 'PATCH', 'nodes-h/nodes/..%2F..%2F/', { label => 'x' });
	ok($res->{status} == 404, 'a hostile node id in the path: 404');

	# Bodies nest at most 256 levels: deeper is refused like broken JSON;
	# a config within the limit is stored, listed, shown and exported whole.
	my $nest = sub { my $v = 'core'; $v = [$v] for 1 .. $_[0]; $v };
	my $deep = sub { my $d = 0; my $v = $_[0]; while (ref $v eq 'ARRAY') { $d++; $v = $v->[0] } $d };
	($res) = $t->request('POST', '/api/v1/workflows/nodes-h/nodes/', { headers => bearer($alice),
		content => { component_type => 'code', config => { extra_config => { x => $nest->(300) } } } });
	is($res->{status}, 422, 'a body nested 300 levels deep: 422');
	like($res->{content} // '', qr/nested more than 256 levels/, '... saying why');
	my $n = node($t, $alice, 'nodes-h', { node_id => 'deep', component_type => 'code',
		config => { extra_config => { x => $nest->(250) } } }, 'a config nested 250 levels') or return;
	my $dec = JSON::PP->new->max_depth(1024);
	my $list = $dec->decode($t->request('GET', '/api/v1/workflows/nodes-h/nodes/',
		{ headers => bearer($alice) })->{content});
	my ($d) = grep { $_->{node_id} eq 'deep' } @$list;
	is($deep->($d->{config}{extra_config}{x}), 250, 'listed whole');
	my $detail = $dec->decode($t->request('GET', '/api/v1/workflows/nodes-h/',
		{ headers => bearer($alice) })->{content});
	($d) = grep { $_->{node_id} eq 'deep' } @{ $detail->{nodes} };
	is($deep->($d->{config}{extra_config}{x}), 250, 'shown whole in the detail');
	my $doc = $dec->decode($t->request('GET', '/api/v1/workflows/nodes-h/export/',
		{ headers => bearer($alice) })->{content});
	($d) = grep { $_->{node_id} eq 'deep' } @{ $doc->{nodes} // [] };
	is($deep->($d->{config}{extra_config}{x}), 250, 'exported whole');
	($res) = req($t, $alice, 'DELETE', 'nodes-h/nodes/deep/');
	is($res->{status}, 204, 'and deleted');
}

sub test_events {
	my ($t, $alice) = @_;
	make_wf($t, $alice, 'nodes-live') or return;
	my (undef, $j) = ticket($t, $alice, 'workflow:nodes-live');
	my ($status, $s) = subscribe($t, $j->{url});
	is($status, 200, 'subscribed') or return;
	my $sent = time;
	my $n = node($t, $alice, 'nodes-live', { node_id => 'live_1', component_type => 'agent' }, 'live node') or return;
	my $text = read_until($s, qr/^data: .*\n/m, 2);
	my ($line) = $text =~ /^data: (.*)$/m;
	ok(defined $line && time - $sent < 1, 'node_created heard within a second') or return diag($text);
	my $ev = eval { decode_json($line) } // {};
	is($ev->{type}, 'node_created', 'type node_created');
	is($ev->{data}{node_id}, 'live_1', 'data is the node');
	ok(!exists $ev->{data}{config}{input_template}, 'without input_template');
	my ($res) = req($t, $alice, 'DELETE', 'nodes-live/nodes/live_1/');
	$text = read_until($s, qr/node_deleted.*\n/, 2);
	like($text, qr/"node_deleted"/, 'node_deleted heard');
	close $s;
}

# The node kind's own rules for its extra_config (src/nodes/ check_config,
# model/node_config.h) on create, update, a change of kind and import: a
# 422 at config.extra_config, nothing written; a template passes.
sub test_config_checks {
	my ($t, $alice) = @_;
	make_wf($t, $alice, 'nodes-cfg') or return;
	my $before = count($t, 'SELECT count(*) FROM workflow_nodes');
	for my $case (
		[ 'switch rules that are not a list', { component_type => 'switch', config => { extra_config => { rules => 'x' } } } ],
		[ 'a workflow node without its target', { component_type => 'workflow' } ],
		[ 'a negative wait', { component_type => 'wait', config => { extra_config => { duration => -1 } } } ],
		[ 'a wait in fortnights', { component_type => 'wait', config => { extra_config => { duration => 1, unit => 'fortnights' } } } ],
	) {
		my ($name, $body) = @$case;
		my ($res, $j) = req($t, $alice, 'POST', 'nodes-cfg/nodes/', $body);
		is($res->{status}, 422, "$name: 422") or diag($res->{content});
		my $item = ref $j->{detail} eq 'ARRAY' ? $j->{detail}[0] : {};
		is_deeply($item->{loc}, [ 'body', 'config', 'extra_config' ], "$name: at config.extra_config")
			or diag($res->{content});
		ok(length($item->{msg} // '') > 0, "$name: says why ($item->{msg})");
	}
	is(count($t, 'SELECT count(*) FROM workflow_nodes'), $before, 'nothing was written');

	node($t, $alice, 'nodes-cfg', { node_id => 'w', component_type => 'wait',
		config => { extra_config => { duration => '{{ trigger.payload.seconds }}', unit => 'seconds' } } },
		'a wait whose duration is a template (known at run time)') or return;
	node($t, $alice, 'nodes-cfg', { node_id => 'sw', component_type => 'switch',
		config => { extra_config => { rules => [ { id => 'a', field => 'x', operator => 'equals', value => 1 } ] } } },
		'a switch with a rule') or return;
	my ($res, $j) = req($t, $alice, 'PATCH', 'nodes-cfg/nodes/sw/', { config => { extra_config => { rules => 5 } } });
	is($res->{status}, 422, 'an update with bad rules: 422') or diag($res->{content});
	($res, $j) = req($t, $alice, 'GET', 'nodes-cfg/nodes/');
	my ($sw) = grep { $_->{node_id} eq 'sw' } @{ $j // [] };
	is(ref $sw->{config}{extra_config}{rules}, 'ARRAY', 'the stored rules are unchanged');

	node($t, $alice, 'nodes-cfg', { node_id => 'c', component_type => 'code' }, 'a code node') or return;
	($res, $j) = req($t, $alice, 'PATCH', 'nodes-cfg/nodes/c/', { component_type => 'workflow' });
	is($res->{status}, 422, 'turning it into a workflow node without a target: 422') or diag($res->{content});
	is(count($t, "SELECT n.component_type FROM workflow_nodes n JOIN workflows w ON w.id = n.workflow_id "
		. "WHERE w.slug = 'nodes-cfg' AND n.node_id = 'c'"), 'code', 'it stays a code node');
	($res, $j) = req($t, $alice, 'PATCH', 'nodes-cfg/nodes/c/', { component_type => 'workflow',
		config => { extra_config => { target_workflow => 'nodes-cfg' } } });
	is($res->{status}, 200, 'with its target it may') or diag($res->{content});

	my $workflows = count($t, 'SELECT count(*) FROM workflows');
	my $doc = { format => 'pipelit-workflow', version => 1, workflow => { name => 'bad import' },
		nodes => [ { node_id => 's', component_type => 'switch', config => { extra_config => { rules => {} } } } ],
		edges => [] };
	($res, $j) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 422, 'an import with a bad switch config: 422') or diag($res->{content});
	my $item = ref $j->{detail} eq 'ARRAY' ? $j->{detail}[0] : {};
	is_deeply($item->{loc}, [ 'body', 'nodes', 0, 'config', 'extra_config' ], 'pointing at the node')
		or diag($res->{content});
	is(count($t, 'SELECT count(*) FROM workflows'), $workflows, 'no workflow was written');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	subtest crud => sub { test_crud($t, $alice) };
	subtest delete => sub { test_delete($t, $alice) };
	subtest rename => sub { test_rename($t, $alice) };
	subtest scoping => sub { test_scoping($t, $alice, $bob, $admin) };
	subtest hostile => sub { test_hostile($t, $alice) };
	subtest events => sub { test_events($t, $alice) };
	subtest 'config checked on save' => sub { test_config_checks($t, $alice) };
});

done_testing();
