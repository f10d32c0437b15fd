# Hostile input on every endpoint of issue 3 that takes a body, a path id
# or a query: values that cannot be coerced, missing fields, 1 MB strings,
# invalid UTF-8, NUL bytes, non-object and malformed JSON, deep nesting,
# ids that are not integers.  Each must be a 422 (the spec's
# {detail:[{type,loc,msg,input}]}) or a 400 ({detail:str}), no responder
# may die, and nothing may be written: the rows of every account and
# credential table are compared before and after.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $BIG = 'x' x (1024 * 1024);
my $DEEP = ('[' x 5000) . (']' x 5000);
# Deep, but within what the JSON parser takes: refused as nested too deep
# (more than 256 levels), a 422 like any body that is not JSON.
my $DEEP_PARSED = ('[' x 2000) . (']' x 2000);

# Bodies that are wrong whatever the route.
my @GENERIC = (
	[ 'a JSON array', '[]' ],
	[ 'a JSON string', '"text"' ],
	[ 'a JSON number', '42' ],
	[ 'JSON null', 'null' ],
	[ 'truncated JSON', '{"a":' ],
	[ 'not JSON', 'username=a&password=b' ],
	[ 'an empty body', '' ],
	[ 'deeply nested JSON', qq({"a":$DEEP}) ],
	[ 'a list nested 2000 deep', $DEEP_PARSED ],
);

# endpoint: [method, path, auth (who), a valid body, {field => [bad values]},
#            [the required fields]]
# (A NUL in a path is left out: nginx refuses it with its own 400 page.)
sub endpoints {
	my %f = @_;
	my $code_bad = [123456, '12345', '1234567', 'abcdef', '12 456', $BIG, undef, []];
	return (
		[ 'POST', '/api/v1/auth/setup/', undef, { username => 'boss', password => 'boss-pass' },
			{ username => [5, '', $BIG, [], undef, "nul\x{0}byte"], password => [5, 'abc', {}, undef],
			  log_level => ['LOUD', 5] }, [qw(username password)] ],
		[ 'POST', '/api/v1/auth/token/', undef, { username => 'hx', password => 'hx-pass-123' },
			{ username => [5, [], {}, undef, JSON::PP::true], password => [5, [], undef] }, [qw(username password)] ],
		[ 'POST', '/api/v1/auth/mfa/login-verify/', undef, { username => 'hx', code => '123456' },
			{ username => [5, [], undef], code => $code_bad }, [qw(username code)] ],
		[ 'POST', '/api/v1/auth/mfa/verify/', 'user', { code => '123456' }, { code => $code_bad }, ['code'] ],
		[ 'POST', '/api/v1/auth/mfa/disable/', 'user', { code => '123456' }, { code => $code_bad }, ['code'] ],
		[ 'PATCH', '/api/v1/users/me', 'user', { first_name => 'H' },
			{ password => [5, 'short', []], first_name => [5, [], $BIG, "a\x{0}b"], last_name => [{}, $BIG] }, [] ],
		[ 'POST', '/api/v1/users/me/keys', 'user', { name => 'k' },
			{ name => [5, [], $BIG, undef, 'n' x 101], expires_at => ['not-a-date', '2030-13-45T00:00:00Z', [], {}] }, ['name'] ],
		[ 'POST', '/api/v1/users/', 'admin', { username => 'newbie', password => 'newbie-pass' },
			{ username => [5, '', $BIG, 'u' x 151, undef, "evil\x{0}admin"], password => ['short', 5, undef],
			  role => ['root', 5, []], first_name => [5, $BIG], last_name => [[], $BIG] }, [qw(username password)] ],
		[ 'PATCH', "/api/v1/users/$f{n_id}", 'admin', { first_name => 'P' },
			{ role => ['root', 5, []], password => ['short', 5], first_name => [$BIG, 7] }, [] ],
		[ 'POST', "/api/v1/users/$f{n_id}/keys", 'admin', { name => 'k' },
			{ name => [5, $BIG, undef], expires_at => ['yesterday', []] }, ['name'] ],
		[ 'POST', '/api/v1/credentials/', 'user', { name => 'c', credential_type => 'llm', detail => {} },
			{ name => [5, $BIG, undef, []], credential_type => ['ssh', 5, undef, 'LLM'], detail => ['str', 5, [], JSON::PP::true] }, [qw(name credential_type)] ],
		[ 'POST', '/api/v1/credentials/', 'user', { name => 'c', credential_type => 'llm', detail => {} },
			{ detail => [{ base_url => $BIG }, { api_key => [] }, { provider_type => 5 }, { custom_headers => 'x' }] }, [] ],
		[ 'PATCH', "/api/v1/credentials/$f{cred}/", 'user', { name => 'renamed' },
			{ name => [5, $BIG, []], detail => ['str', [], 5] }, [] ],
		[ 'POST', '/api/v1/credentials/batch-delete/', 'user', { ids => [] },
			{ ids => ['1', 'abc', ['a'], [1.5], {}, undef, [[1]]] }, ['ids'] ],
	);
}

# Paths whose id is not an integer; each with a method and a body.
sub bad_id_requests {
	my %f = @_;
	my @r;
	for my $id ('abc', '1.5', '99999999999999999999999', '1e3', '0x10', '-') {
		push @r,
			[ 'GET', "/api/v1/users/$id", 'admin' ], [ 'PATCH', "/api/v1/users/$id", 'admin', { first_name => 'a' } ],
			[ 'DELETE', "/api/v1/users/$id", 'admin' ], [ 'GET', "/api/v1/users/$id/keys", 'admin' ],
			[ 'POST', "/api/v1/users/$id/keys", 'admin', { name => 'k' } ],
			[ 'DELETE', "/api/v1/users/$f{n_id}/keys/$id", 'admin' ], [ 'DELETE', "/api/v1/users/me/keys/$id", 'user' ],
			[ 'GET', "/api/v1/credentials/$id/", 'user' ], [ 'PATCH', "/api/v1/credentials/$id/", 'user', { name => 'a' } ],
			[ 'DELETE', "/api/v1/credentials/$id/", 'user' ], [ 'POST', "/api/v1/credentials/$id/test/", 'user' ],
			[ 'GET', "/api/v1/credentials/$id/models/", 'user' ];
	}
	for my $q ('limit=abc', 'limit=-1', 'limit=1001', 'offset=-1', 'offset=x', 'limit=1.5', 'limit=99999999999999999999') {
		push @r, [ 'GET', "/api/v1/users/?$q", 'admin' ], [ 'GET', "/api/v1/credentials/?$q", 'user' ];
	}
	return @r;
}

# Everything a hostile request could have changed (last_used_at aside:
# authenticating is allowed to touch it).
sub snapshot {
	my ($t) = @_;
	return join "\n---\n", map { $t->db_query($_) // "error in $_" }
		'SELECT id, username, password_hash, first_name, last_name, role, mfa_enabled, coalesce(totp_secret, \'\') FROM user_profiles ORDER BY id',
		'SELECT id, user_id, key_hash, name, prefix, expires_at, is_active FROM api_keys ORDER BY id',
		'SELECT id, user_profile_id, name, credential_type, updated_at FROM credentials ORDER BY id',
		'SELECT count(*) FROM llm_credentials', 'SELECT count(*) FROM git_credentials',
		'SELECT count(*) FROM tool_credentials', 'SELECT count(*) FROM gateway_credentials';
}

# One request; returns '' when it was answered as hostile input must be,
# else a line saying what went wrong.
sub check {
	my ($t, $auth, $what, $method, $path, $raw, @allowed) = @_;
	@allowed = (422, 400) unless @allowed;
	my %h = ($auth ? (Authorization => "Bearer $auth") : ());
	$h{'Content-Type'} = 'application/json' if defined $raw;
	my $res = $t->request($method, $path, { headers => \%h, (defined $raw ? (content => $raw) : ()) });
	my $st = $res->{status};
	my $body = substr($res->{content} // '', 0, 160);
	$path = substr($path, 0, 60);
	return "$method $path ($what): status $st, want @allowed: $body" unless grep { $st == $_ } @allowed;
	# An echoed input may nest as deep as the server's parser allows (2048).
	my $j = eval { JSON::PP->new->allow_nonref->max_depth(4096)->decode($res->{content} // '') };
	if ($st == 422) {
		my $items = ref $j eq 'HASH' ? $j->{detail} : undef;
		return "$method $path ($what): 422 without a list of errors: $body" unless ref $items eq 'ARRAY' && @$items;
		for my $i (@$items) {
			return "$method $path ($what): error item without type/loc/msg/input: $body"
				unless ref $i eq 'HASH' && defined $i->{type} && ref $i->{loc} eq 'ARRAY' && defined $i->{msg}
					&& exists $i->{input};
			return "$method $path ($what): loc does not start with body/query/path: $body"
				unless ($i->{loc}[0] // '') =~ /^(?:body|query|path)$/;
		}
	} elsif ($st == 400) {
		return "$method $path ($what): 400 without a string detail: $body" unless ref $j eq 'HASH' && defined $j->{detail};
	}
	return '';
}

sub encode { JSON::PP->new->canonical->allow_nonref->encode($_[0]) }

sub describe {
	my ($v) = @_;
	return 'null' unless defined $v;
	return 'a 1 MB string' if !ref $v && length $v > 1000;
	return 'a ' . length($v) . '-character string' if !ref $v && length $v > 40;
	my $e = encode($v);
	return length $e > 40 ? substr($e, 0, 40) . '...' : $e;
}

sub run_endpoint {
	my ($t, $tok, $ep) = @_;
	my ($method, $path, $who, $good, $fields, $required) = @$ep;
	my $auth = $who ? $tok->{$who} : undef;
	my @bad;
	push @bad, check($t, $auth, $_->[0], $method, $path, $_->[1]) for @GENERIC;
	push @bad, check($t, $auth, 'invalid UTF-8', $method, $path,
		'{"' . (sort keys %$good)[0] . "\":\"\xff\xfe\xc3(\"}");
	push @bad, check($t, $auth, 'missing fields', $method, $path, '{}') if @$required;
	for my $field (sort keys %$fields) {
		for my $v (@{ $fields->{$field} }) {
			my %body = (%$good, $field => $v);
			push @bad, check($t, $auth, "$field = " . describe($v), $method, $path, encode(\%body));
		}
		if (grep { $_ eq $field } @$required) {
			my %body = %$good;
			delete $body{$field};
			push @bad, check($t, $auth, "without $field", $method, $path, encode(\%body));
		}
	}
	@bad = grep { $_ ne '' } @bad;
	ok(!@bad, "$method $path: every hostile body is a 422 or 400 with the spec's shape") or diag(join "\n", @bad);
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my @responders = sort { $a <=> $b } $t->responder_pids;

	# Setup first, while no user exists: hostile setups must not create one.
	my ($setup) = grep { $_->[1] =~ m{/setup/$} } endpoints(n_id => 0, cred => 0);
	run_endpoint($t, {}, $setup);
	is($t->db_query('SELECT count(*) FROM user_profiles'), 0, 'no hostile setup created a user');

	my %tok;
	$tok{admin} = make_user($t, 'hadmin', 'hadmin-pass', 'admin') or return;
	$tok{user} = make_user($t, 'hx', 'hx-pass-123', 'normal') or return;
	my %f;
	$f{n_id} = ($t->json($t->get('/api/v1/users/me', bearer($tok{user}))) // {})->{id} // 0;
	my $res = $t->request('POST', '/api/v1/credentials/', { headers => bearer($tok{user}),
		content => { name => 'mine', credential_type => 'llm', detail => { api_key => 'sk-hostile-1234567890' } } });
	$f{cred} = ($t->json($res) // {})->{id} // 0;
	ok($f{cred}, 'a credential to aim at') or diag($res->{content});
	make_key($t, $tok{user}, 'a key');

	my $before = snapshot($t);
	run_endpoint($t, \%tok, $_) for grep { $_->[1] !~ m{/setup/$} } endpoints(%f);
	my @bad = grep { $_ ne '' } map {
		my ($method, $path, $who, $body) = @$_;
		check($t, $tok{$who}, 'a non-integer id or bad query', $method, $path, defined $body ? encode($body) : undef, 422)
	} bad_id_requests(%f);
	ok(!@bad, 'every non-integer id and bad limit/offset is a 422 with the spec\'s shape') or diag(join "\n", @bad);

	# Auth is checked before the body: no credentials and a bad body is 401.
	is($t->request('POST', '/api/v1/users/me/keys', { content => '[', headers => { 'Content-Type' => 'application/json' } })->{status},
		401, 'no auth and a bad body: 401, not 422');
	is($t->request('POST', '/api/v1/users/', { content => '{}', headers => { %{ bearer($tok{user}) }, 'Content-Type' => 'application/json' } })->{status},
		403, 'a normal user and a bad body on an admin route: 403, not 422');

	my $after = snapshot($t);
	is($after, $before, 'nothing was written by any hostile request') or diag("before:\n$before\nafter:\n$after");
	is($t->get('/health')->{status}, 200, 'the stack still answers');
	is_deeply([sort { $a <=> $b } $t->responder_pids], \@responders, 'no responder died (the same pids serve)');
	unlike($t->log_text, qr/\b(?:SIGSEGV|SIGABRT|signal 1[01]|signal 6|crash|died)\b/i, 'no crash in the log');
});

done_testing;
