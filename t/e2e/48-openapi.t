# The OpenAPI document: served at /api/v1/openapi.json without a key, the
# same bytes as doc/openapi.json, and doc/api.md is what
# build-aux/openapi-to-md.pl makes of it.  Then the main resources (auth,
# users, API keys, workflows, nodes, edges, import and export, credentials,
# workspaces, node types, events, health) are used over the API and every answer, the
# refusals (401, 403, 404, 409, 422) included, is checked against the
# schema the document gives for its route and status.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use OpenAPISchema;

need_nginx();

my $OA;

# Requests method on the route template with its {params} filled from
# %$params, and checks the answer against the document.  Returns the
# response and its JSON.
sub call {
	my ($t, $token, $method, $template, $params, $body, $want) = @_;
	(my $path = $template) =~ s/\{(\w+)\}/$params->{$1} \/\/ die "no $1 for $template"/ge;
	my %o = (headers => $token ? bearer($token) : {});
	$o{content} = $body if defined $body;
	my $res = $t->request($method, $path, \%o);
	my $json = length($res->{content} // '') ? $t->json($res) : undef;
	my $name = "$method $template $res->{status}";
	is($res->{status}, $want, "$method $path: $want") or diag(substr($res->{content} // '', 0, 400))
		if defined $want;
	my @errors = $OA->check_response($method, $template, $res->{status}, $json);
	ok(!@errors, "$name matches the document") or diag(join("\n", @errors[0 .. ($#errors > 9 ? 9 : $#errors)]));
	return ($res, $json);
}

sub test_document {
	my ($t) = @_;
	my $res = $t->get('/api/v1/openapi.json');
	is($res->{status}, 200, 'GET /api/v1/openapi.json without a key: 200');
	like($res->{headers}{'content-type'} // '', qr{^application/json}, 'as JSON');
	my $file = PipelitTest::slurp(srcdir() . '/doc/openapi.json');
	ok($res->{content} eq $file, 'the same bytes as doc/openapi.json');
	my $doc = $t->json($res);
	is($doc->{openapi}, '3.1.0', 'OpenAPI 3.1');
	$OA = OpenAPISchema->new($doc);
	open(my $p, '-|', $^X, srcdir() . '/build-aux/openapi-to-md.pl', srcdir() . '/doc/openapi.json')
		or return fail("build-aux/openapi-to-md.pl: $!");
	my $md = do { local $/; <$p> } // '';
	ok(close($p), 'build-aux/openapi-to-md.pl runs');
	ok($md eq PipelitTest::slurp(srcdir() . '/doc/api.md'), 'doc/api.md is what it makes of the document')
		or diag('regenerate: perl build-aux/openapi-to-md.pl doc/openapi.json >doc/api.md');
}

sub test_auth_and_users {
	my ($t, $admin) = @_;
	call($t, undef, 'GET', '/health', {}, undef, 200);
	call($t, undef, 'GET', '/api/v1/auth/setup-status/', {}, undef, 200);
	call($t, undef, 'POST', '/api/v1/auth/setup/', {}, { username => 'late', password => 'late-pass-1' }, 409);
	call($t, undef, 'POST', '/api/v1/auth/token/', {}, { username => 'root', password => 'wrong-pass' }, 401);
	call($t, undef, 'POST', '/api/v1/auth/token/', {}, { username => 'root' }, 422);
	# A login rotates the session key: the new one is the admin's from here on.
	my (undef, $tok) = call($t, undef, 'POST', '/api/v1/auth/token/', {},
		{ username => 'root', password => 'root-pass-1' }, 200);
	$admin = $tok->{key} // $admin;
	call($t, undef, 'GET', '/api/v1/auth/me/', {}, undef, 401);
	call($t, $admin, 'GET', '/api/v1/auth/me/', {}, undef, 200);
	call($t, $admin, 'GET', '/api/v1/auth/mfa/status/', {}, undef, 200);
	call($t, $admin, 'GET', '/api/v1/users/me', {}, undef, 200);
	call($t, $admin, 'PATCH', '/api/v1/users/me', {}, { first_name => 'Ro' }, 200);
	my (undef, $key) = call($t, $admin, 'POST', '/api/v1/users/me/keys', {}, { name => 'ci' }, 201);
	call($t, $admin, 'GET', '/api/v1/users/me/keys', {}, undef, 200);
	call($t, $admin, 'DELETE', '/api/v1/users/me/keys/{key_id}', { key_id => $key->{id} // 0 }, undef, 204);
	call($t, $admin, 'DELETE', '/api/v1/users/me/keys/{key_id}', { key_id => 999999 }, undef, 404);
	my (undef, $u) = call($t, $admin, 'POST', '/api/v1/users/', {}, { username => 'carol', password => 'carol-pass-1' }, 201);
	call($t, $admin, 'POST', '/api/v1/users/', {}, { username => 'carol', password => 'carol-pass-1' }, 409);
	call($t, $admin, 'POST', '/api/v1/users/', {}, { username => '', password => 'x' }, 422);
	call($t, $admin, 'GET', '/api/v1/users/', {}, undef, 200);
	call($t, $admin, 'GET', '/api/v1/users/{user_id}', { user_id => $u->{id} // 0 }, undef, 200);
	call($t, $admin, 'PATCH', '/api/v1/users/{user_id}', { user_id => $u->{id} // 0 }, { last_name => 'C' }, 200);
	call($t, $admin, 'POST', '/api/v1/users/{user_id}/keys', { user_id => $u->{id} // 0 }, { name => 'k' }, 201);
	call($t, $admin, 'GET', '/api/v1/users/{user_id}/keys', { user_id => $u->{id} // 0 }, undef, 200);
	call($t, $admin, 'GET', '/api/v1/users/{user_id}', { user_id => 'abc' }, undef, 422);
	my $carol = login($t, 'carol', 'carol-pass-1');
	call($t, $carol, 'GET', '/api/v1/users/', {}, undef, 403);
	call($t, $admin, 'DELETE', '/api/v1/users/{user_id}', { user_id => $u->{id} // 0 }, undef, 204);
	call($t, $admin, 'POST', '/api/v1/events/ticket/', {}, { channel => 'workflow:no-such' }, 404);
}

sub test_credentials {
	my ($t, $alice) = @_;
	my (undef, $c) = call($t, $alice, 'POST', '/api/v1/credentials/', {},
		{ name => 'main', credential_type => 'llm', detail => { api_key => 'sk-0123456789abcdef' } }, 201);
	call($t, $alice, 'POST', '/api/v1/credentials/', {}, { name => 'x', credential_type => 'magic' }, 422);
	call($t, $alice, 'GET', '/api/v1/credentials/', {}, undef, 200);
	call($t, $alice, 'GET', '/api/v1/credentials/{credential_id}/', { credential_id => $c->{id} // 0 }, undef, 200);
	call($t, $alice, 'GET', '/api/v1/credentials/{credential_id}/', { credential_id => 999999 }, undef, 404);
	call($t, $alice, 'PATCH', '/api/v1/credentials/{credential_id}/', { credential_id => $c->{id} // 0 },
		{ name => 'renamed' }, 200);
	my (undef, $g) = call($t, $alice, 'POST', '/api/v1/credentials/', {},
		{ name => 'gw', credential_type => 'gateway', detail => { adapter_type => 'telegram' } }, 201);
	call($t, $alice, 'POST', '/api/v1/credentials/{credential_id}/test/', { credential_id => $g->{id} // 0 }, undef, 200);
	call($t, $alice, 'POST', '/api/v1/credentials/{credential_id}/activate/', { credential_id => $g->{id} // 0 },
		undef, 502);
	call($t, $alice, 'POST', '/api/v1/credentials/batch-delete/', {}, { ids => [ $g->{id} // 0 ] }, 204);
	return $c->{id};
}

sub test_workflows {
	my ($t, $alice, $bob, $cred) = @_;
	call($t, undef, 'GET', '/api/v1/workflows/node-types/', {}, undef, 200);
	my (undef, $w) = call($t, $alice, 'POST', '/api/v1/workflows/', {}, { name => 'Doc', tags => ['a'] }, 201);
	my %s = (slug => $w->{slug} // 'none');
	call($t, $alice, 'POST', '/api/v1/workflows/', {}, { name => 'Doc', slug => $s{slug} }, 409);
	call($t, $alice, 'POST', '/api/v1/workflows/', {}, { name => 5 }, 422);
	call($t, $alice, 'GET', '/api/v1/workflows/', {}, undef, 200);
	call($t, $alice, 'PATCH', '/api/v1/workflows/{slug}/', \%s, { description => 'd' }, 200);
	for my $n ([ 'm', 'ai_model', { llm_credential_id => $cred, temperature => 0.5 } ], [ 'a', 'agent' ],
		   [ 't', 'trigger_chat' ], [ 's', 'switch' ], [ 'c', 'code' ]) {
		call($t, $alice, 'POST', '/api/v1/workflows/{slug}/nodes/', \%s,
			{ node_id => $n->[0], component_type => $n->[1], config => $n->[2] // {} }, 201);
	}
	call($t, $alice, 'POST', '/api/v1/workflows/{slug}/nodes/', \%s, { node_id => 'a', component_type => 'agent' }, 409);
	call($t, $alice, 'POST', '/api/v1/workflows/{slug}/nodes/', \%s, { component_type => 'code', label => 'x' x 300 }, 422);
	call($t, $alice, 'GET', '/api/v1/workflows/{slug}/nodes/', \%s, undef, 200);
	call($t, $alice, 'PATCH', '/api/v1/workflows/{slug}/nodes/{node_id}/', { %s, node_id => 'c' }, { label => 'Code' }, 200);
	call($t, $alice, 'PATCH', '/api/v1/workflows/{slug}/nodes/{node_id}/', { %s, node_id => 'zz' }, { label => 'x' }, 404);
	my (undef, $e) = call($t, $alice, 'POST', '/api/v1/workflows/{slug}/edges/', \%s,
		{ source_node_id => 'm', target_node_id => 'a', edge_label => 'llm' }, 201);
	call($t, $alice, 'POST', '/api/v1/workflows/{slug}/edges/', \%s, { source_node_id => 's', target_node_id => 'c',
		edge_type => 'conditional', condition_value => 'yes' }, 201);
	call($t, $alice, 'POST', '/api/v1/workflows/{slug}/edges/', \%s, { source_node_id => 'c', target_node_id => 'ghost' }, 422);
	call($t, $alice, 'POST', '/api/v1/workflows/{slug}/edges/', \%s, { source_node_id => 'c', target_node_id => 'a',
		edge_type => 'conditional', condition_value => 'x' }, 422);
	call($t, $alice, 'POST', '/api/v1/workflows/{slug}/edges/', \%s, { source_node_id => 'm', target_node_id => 's', edge_label => 'tool' }, 422);
	call($t, $alice, 'GET', '/api/v1/workflows/{slug}/edges/', \%s, undef, 200);
	call($t, $alice, 'PATCH', '/api/v1/workflows/{slug}/edges/{edge_id}/', { %s, edge_id => $e->{id} // 0 }, { priority => 2 }, 200);
	call($t, $alice, 'GET', '/api/v1/workflows/{slug}/', \%s, undef, 200);
	call($t, $bob, 'GET', '/api/v1/workflows/{slug}/', \%s, undef, 404);
	call($t, $alice, 'POST', '/api/v1/workflows/{slug}/validate/', \%s, undef, 200);
	my (undef, $doc) = call($t, $alice, 'GET', '/api/v1/workflows/{slug}/export/', \%s, undef, 200);
	call($t, $alice, 'POST', '/api/v1/workflows/import/', {}, $doc, 201);
	my (undef, $imp) = call($t, $bob, 'POST', '/api/v1/workflows/import/', {}, $doc, 201);
	is(scalar @{ $imp->{unresolved_credentials} // [] }, 1, "bob's import lists alice's credential unresolved");
	$doc->{nodes}[0]{label} = 'x' x 300;
	call($t, $alice, 'POST', '/api/v1/workflows/import/', {}, $doc, 422);
	my (undef, $tk) = call($t, $alice, 'POST', '/api/v1/events/ticket/', {}, { channel => "workflow:$s{slug}" }, 200);
	call($t, $alice, 'DELETE', '/api/v1/workflows/{slug}/edges/{edge_id}/', { %s, edge_id => $e->{id} // 0 }, undef, 204);
	call($t, $alice, 'DELETE', '/api/v1/workflows/{slug}/nodes/{node_id}/', { %s, node_id => 'c' }, undef, 204);
	call($t, $alice, 'DELETE', '/api/v1/workflows/{slug}/', \%s, undef, 204);
	call($t, $alice, 'POST', '/api/v1/workflows/batch-delete/', {}, { slugs => [ $imp->{slug} // 'x' ] }, 204);
}

sub test_workspaces {
	my ($t, $alice) = @_;
	# Earlier logins rotated the admin's session key: a fresh one.
	my $admin = login($t, 'root', 'root-pass-1') or return fail('root logs in');
	my $W = '/api/v1/workspaces/{workspace_id}/';
	my (undef, $w) = call($t, $alice, 'POST', '/api/v1/workspaces/', {}, { name => 'oa',
		env_vars => [{ key => 'TOKEN', value => 'sk-0123456789abcdef' }] }, 201);
	my %id = (workspace_id => $w->{id} // 0);
	call($t, $alice, 'POST', '/api/v1/workspaces/', {}, { name => 'oa' }, 409);
	call($t, $alice, 'POST', '/api/v1/workspaces/', {}, { name => 'x', path => '/etc' }, 400);
	call($t, $alice, 'POST', '/api/v1/workspaces/', {}, { name => 7 }, 422);
	call($t, $alice, 'GET', '/api/v1/workspaces/', {}, undef, 200);
	my (undef, $list) = call($t, $admin, 'GET', '/api/v1/workspaces/', {}, undef, 200);
	call($t, $alice, 'GET', $W, \%id, undef, 200);
	call($t, $admin, 'GET', $W, \%id, undef, 404);
	call($t, $alice, 'PATCH', $W, \%id, { env_vars => $w->{env_vars}, allow_network => 1 }, 200);
	call($t, $alice, 'POST', "${W}reset/", \%id, undef, 200);
	call($t, $alice, 'POST', "${W}reset-rootfs/", \%id, undef, 200);
	my ($default) = grep { $_->{name} eq 'default' } @{ $list->{items} // [] };
	call($t, $admin, 'DELETE', $W, { workspace_id => $default->{id} // 0 }, undef, 403);
	call($t, $alice, 'DELETE', $W, \%id, undef, 204);
	call($t, $alice, 'POST', '/api/v1/workspaces/batch-delete/', {}, { ids => [ $w->{id} // 0 ] }, 204);
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	subtest 'the document' => sub { test_document($t) };
	return unless $OA;
	subtest 'auth and users' => sub { test_auth_and_users($t, $admin) };
	my $cred;
	subtest 'credentials' => sub { $cred = test_credentials($t, $alice) };
	subtest 'workflows, nodes, edges' => sub { test_workflows($t, $alice, $bob, $cred) };
	subtest 'workspaces' => sub { test_workspaces($t, $alice) };
	$t->stop;
});

done_testing();
