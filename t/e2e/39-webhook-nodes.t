# trigger_webhook nodes over the API, on both backends: the config checked
# at save time (422 at config.extra_config.<field>), the secret stored
# sealed and answered only as a mask (node answers, the workflow detail,
# export), the path unique across the instance (409 on create, update and
# import, nothing written), freed when the node or its workflow goes, and
# a trigger_webhook -> agent edge accepted.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $SECRET = 'whsec-e2e-0123456789abcdef';
my $MASK = '********';

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

sub hook {
	my ($node_id, %extra) = @_;
	return { node_id => $node_id, component_type => 'trigger_webhook', config => { extra_config => {%extra} } };
}

sub paths { my ($t) = @_; return $t->db_query('SELECT count(*) FROM webhook_paths') // '' }

sub first_loc {
	my ($j) = @_;
	my $item = ref $j->{detail} eq 'ARRAY' ? $j->{detail}[0] : {};
	return ($item->{loc} // [], $item->{msg} // '');
}

sub test_create_and_mask {
	my ($t, $alice) = @_;
	make_wf($t, $alice, 'hooks-a') or return;
	my ($res, $j) = req($t, $alice, 'POST', 'hooks-a/nodes/', hook('gh', path => 'github/push', secret => $SECRET,
		signature_algorithm => 'sha256', mode => 'sync', max_wait_seconds => 10));
	is($res->{status}, 201, 'a trigger_webhook node') or return diag($res->{content});
	my $extra = $j->{config}{extra_config} // {};
	is($extra->{path}, 'github/push', 'its path');
	is($extra->{secret}, $MASK, 'its secret answered as the mask');
	unlike($res->{content}, qr/\Q$SECRET\E/, 'the secret is nowhere in the answer');
	ok($j->{config}{is_active}, 'it keeps the trigger group (is_active)');

	for my $path ('hooks-a/nodes/', 'hooks-a/', 'hooks-a/export/') {
		my ($r) = req($t, $alice, 'GET', $path);
		is($r->{status}, 200, "GET $path");
		unlike($r->{content}, qr/\Q$SECRET\E/, "GET $path does not show the secret");
		like($r->{content}, qr/\Q"secret":"$MASK"\E/, 'but its mask');
	}
	is($t->db_query("SELECT count(*) FROM component_configs WHERE CAST(extra_config AS TEXT) LIKE '%whsec-e2e%'"), '0',
		'component_configs never holds it');
	like($t->db_query("SELECT secret FROM webhook_paths WHERE path = 'github/push'") // '', qr/^v2:/,
		'webhook_paths holds it sealed');
	unlike($t->db_query("SELECT secret FROM webhook_paths") // '', qr/whsec/, 'never in clear');
	unlike($t->log_text, qr/\Q$SECRET\E/, 'nor in the log');
}

sub test_checks {
	my ($t, $alice) = @_;
	my $before = paths($t);
	my $nodes = $t->db_query('SELECT count(*) FROM workflow_nodes');
	for my $case (
		[ 'no extra_config', { node_id => 'x', component_type => 'trigger_webhook' }, 'path', qr/Field required/ ],
		[ 'a leading slash', hook('x', path => '/gh'), 'path', qr/must not start or end with '\/'/ ],
		[ 'a dot segment', hook('x', path => 'a/../b'), 'path', qr/'\.' or '\.\.' segment/ ],
		[ 'a space', hook('x', path => 'a b'), 'path', qr/may hold only/ ],
		[ 'a 256-character path', hook('x', path => 'p' x 256), 'path', qr/1 to 255 characters/ ],
		[ 'a lower-case method', hook('x', path => 'ok', method => 'post'), 'method', qr/'POST'/ ],
		[ 'an unknown algorithm', hook('x', path => 'ok', signature_algorithm => 'md5'), 'signature_algorithm',
			qr/'sha256', 'stripe' or 'hex'/ ],
		[ 'a 301 s wait', hook('x', path => 'ok', max_wait_seconds => 301), 'max_wait_seconds',
			qr/less than or equal to 300/ ],
		[ 'a negative rate', hook('x', path => 'ok', rate_limit_per_minute => -1), 'rate_limit_per_minute',
			qr/greater than or equal to 0/ ],
		[ 'a header that is no token', hook('x', path => 'ok', signature_header => 'X Sig'), 'signature_header',
			qr/HTTP header name/ ],
		[ 'the mask with no secret stored', hook('x', path => 'ok', secret => $MASK), 'secret',
			qr/stands for a stored secret/ ],
	) {
		my ($name, $body, $field, $msg) = @$case;
		my ($res, $j) = req($t, $alice, 'POST', 'hooks-a/nodes/', $body);
		is($res->{status}, 422, "$name: 422") or diag($res->{content});
		my ($loc, $got) = first_loc($j);
		is_deeply($loc, [ 'body', 'config', 'extra_config', $field ], "$name: at config.extra_config.$field")
			or diag($res->{content});
		like($got, $msg, "$name: says why");
	}
	is(paths($t), $before, 'no path was written');
	is($t->db_query('SELECT count(*) FROM workflow_nodes'), $nodes, 'nor any node');
}

sub test_unique {
	my ($t, $alice, $bob) = @_;
	make_wf($t, $bob, 'hooks-b') or return;
	my $before = paths($t);
	my ($res, $j) = req($t, $bob, 'POST', 'hooks-b/nodes/', hook('mine', path => 'github/push'));
	is($res->{status}, 409, "another user's workflow cannot take the path: 409") or diag($res->{content});
	is($j->{detail}, "Webhook path 'github/push' is already used by another webhook trigger.", 'saying so');
	($res) = req($t, $alice, 'POST', 'hooks-a/nodes/', hook('twin', path => 'github/push'));
	is($res->{status}, 409, 'nor another node of the same workflow');
	is(paths($t), $before, 'nothing was written');
	is($t->db_query("SELECT count(*) FROM workflow_nodes WHERE node_id IN ('mine', 'twin')"), '0', 'no node');

	($res, $j) = req($t, $bob, 'POST', 'hooks-b/nodes/', hook('mine', path => 'GitHub/Push'));
	is($res->{status}, 201, 'paths are case-sensitive') or diag($res->{content});
	($res, $j) = req($t, $bob, 'PATCH', 'hooks-b/nodes/mine/',
		{ config => { extra_config => { path => 'github/push' } } });
	is($res->{status}, 409, 'an update onto a taken path: 409') or diag($res->{content});
	is($t->db_query("SELECT count(*) FROM webhook_paths WHERE path = 'GitHub/Push'"), '1', 'it kept its own');

	($res, $j) = req($t, $alice, 'PATCH', 'hooks-a/nodes/gh/',
		{ label => 'GitHub', config => { extra_config => { path => 'github/push-v2', secret => $MASK } } });
	is($res->{status}, 200, 'a new path, the mask sent back') or diag($res->{content});
	is($j->{config}{extra_config}{secret}, $MASK, 'the secret is still set');
	is($t->db_query("SELECT count(*) FROM webhook_paths WHERE path = 'github/push-v2' AND secret LIKE 'v2:%'"), '1',
		'the row moved with its sealed secret');
	($res, $j) = req($t, $bob, 'POST', 'hooks-b/nodes/', hook('now-free', path => 'github/push'));
	is($res->{status}, 201, 'the old path is free again') or diag($res->{content});

	($res, $j) = req($t, $alice, 'PATCH', 'hooks-a/nodes/gh/', { config => { extra_config => { path => 'github/push-v2' } } });
	is($res->{status}, 200, 'extra_config without the secret');
	ok(!exists $j->{config}{extra_config}{secret}, 'removes it');
	is($t->db_query("SELECT count(*) FROM webhook_paths WHERE path = 'github/push-v2' AND secret IS NULL"), '1',
		'from the row too');
	($res, $j) = req($t, $alice, 'PATCH', 'hooks-a/nodes/gh/', { config => { extra_config => { path => 'github/push-v2',
		secret => $SECRET } } });
	is($j->{config}{extra_config}{secret}, $MASK, 'and a new one is set again');
}

sub test_edge_and_delete {
	my ($t, $alice, $bob) = @_;
	my ($res) = req($t, $alice, 'POST', 'hooks-a/nodes/', { node_id => 'agent_1', component_type => 'agent' });
	is($res->{status}, 201, 'an agent');
	($res) = req($t, $alice, 'POST', 'hooks-a/edges/', { source_node_id => 'gh', target_node_id => 'agent_1' });
	is($res->{status}, 201, 'trigger_webhook -> agent is accepted') or diag($res->{content});

	($res) = req($t, $bob, 'DELETE', 'hooks-b/nodes/now-free/');
	is($res->{status}, 204, 'delete a webhook node');
	is($t->db_query("SELECT count(*) FROM webhook_paths WHERE path = 'github/push'"), '0', 'its path goes with it');
	($res) = req($t, $bob, 'DELETE', 'hooks-b/');
	is($res->{status}, 204, 'delete a workflow with a webhook node') or diag($res->{content});
	is($t->db_query("SELECT count(*) FROM webhook_paths WHERE path = 'GitHub/Push'"), '0', 'its paths go too');
}

sub test_import {
	my ($t, $alice) = @_;
	my ($res, $doc) = req($t, $alice, 'GET', 'hooks-a/export/');
	is($res->{status}, 200, 'export a workflow with a webhook') or return;
	my $before = paths($t);
	my $workflows = $t->db_query('SELECT count(*) FROM workflows');
	my $j;
	($res, $j) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 409, 'importing it here: its path is taken, 409') or diag($res->{content});
	like($j->{detail} // '', qr/Webhook path 'github\/push-v2' is already used/, 'saying which');
	is($t->db_query('SELECT count(*) FROM workflows'), $workflows, 'no workflow was written');
	is(paths($t), $before, 'nor a path');

	my ($node) = grep { $_->{component_type} eq 'trigger_webhook' } @{ $doc->{nodes} };
	$node->{config}{extra_config}{path} = 'imported/hook';
	($res, $j) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 422, 'a free path, but the exported mask is no secret: 422') or diag($res->{content});
	like($res->{content}, qr/stands for a stored secret/, 'saying the secret must be sent');
	$node->{config}{extra_config}{secret} = 'a-new-secret';
	($res, $j) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 201, 'with a secret it imports') or diag($res->{content});
	is($t->db_query("SELECT count(*) FROM webhook_paths WHERE path = 'imported/hook' AND secret LIKE 'v2:%'"), '1',
		'its path and sealed secret are stored');
	$node->{config}{extra_config}{path} = '/bad';
	($res, $j) = req($t, $alice, 'POST', 'import/', $doc);
	is($res->{status}, 422, 'a bad path in a document: 422') or diag($res->{content});
	my ($loc) = first_loc($j);
	is($loc->[-1], 'path', 'pointing at the path') or diag($res->{content});
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	subtest 'create, and the secret masked' => sub { test_create_and_mask($t, $alice) };
	subtest 'config checks at save time' => sub { test_checks($t, $alice) };
	subtest 'paths unique across the instance' => sub { test_unique($t, $alice, $bob) };
	subtest 'edges, and deletion frees paths' => sub { test_edge_and_delete($t, $alice, $bob) };
	subtest 'import' => sub { test_import($t, $alice) };
	$t->stop;
});

done_testing();
