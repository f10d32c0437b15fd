# Security review, findings 4 and 5: the outbound policy and the probe's
# limits.  Every request here goes to loopback listeners only.
#
#   4. A credential's base_url pointing at loopback, in any spelling
#      (decimal, octal, hex, short, IPv6-mapped) or through a name that
#      resolves there (localhost), is refused at connect time: nothing
#      reaches the listener, test/ says the outbound policy refused it and
#      models/ falls back.  PIPELIT_OUTBOUND_ALLOW opens a host name (and
#      only that name) or an address.  A redirect to another host or to a
#      protocol other than http(s) is not followed.  An error answer comes
#      back as its status and a short message, never its body.
#   5. One total deadline per probe, redirects included; at most
#      PIPELIT_OUTBOUND_PER_USER probes of one user in flight across the
#      pool (429 with Retry-After beyond, other users unaffected); a
#      responder killed in the middle of a probe leaks no slot.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;
use FakeProvider;

need_nginx();

my $fp = FakeProvider->start;
my $port = $fp->port;
my $TIMEOUT = 3;

sub cred_req {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/credentials/$path", \%o);
	return ($res, $t->json($res));
}

sub make_llm {
	my ($t, $token, $base, $key) = @_;
	my ($res, $j) = cred_req($t, $token, 'POST', '', { name => "c-$base", credential_type => 'llm',
		detail => { api_key => $key, base_url => $base } });
	is($res->{status}, 201, "credential for $base") or diag($res->{content});
	return $j ? $j->{id} : 0;
}

sub probe {
	my ($t, $token, $id) = @_;
	my ($res, $j) = cred_req($t, $token, 'POST', "$id/test/");
	return ($res, $j // {});
}

sub test_refused_everywhere {
	my ($t, $alice, $keys) = @_;
	my @spellings = ('127.0.0.1', 'localhost', '2130706433', '0177.0.0.1', '0x7f000001', '127.1',
		'[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::1]');
	for my $host (@spellings) {
		my $id = make_llm($t, $alice, "http://$host:$port/v1", $keys->{good}) or next;
		$fp->clear_requests;
		my ($res, $j) = probe($t, $alice, $id);
		is($res->{status}, 200, "test/ of $host answers");
		is($j->{ok}, JSON::PP::false, "$host: not ok");
		like($j->{error} // '', qr/outbound policy/, "$host: refused by the outbound policy")
			or diag($res->{content});
		my ($mres, $models) = cred_req($t, $alice, 'GET', "$id/models/");
		is_deeply($models, [], "$host: models/ falls back to []");
		is(scalar($fp->requests), 0, "$host: nothing reached the listener");
	}
}

sub test_allowed_name {
	my ($t, $alice, $bob, $keys) = @_;
	my $id = make_llm($t, $alice, "http://localhost:$port/v1", $keys->{good}) or return;
	$fp->clear_requests;
	my ($res, $j) = probe($t, $alice, $id);
	is_deeply($j, { ok => JSON::PP::true, error => '', detail => undef },
		'an allowlisted name that resolves to loopback is reached');
	is(scalar($fp->requests), 1, 'the listener saw the probe');
	my (undef, $models) = cred_req($t, $alice, 'GET', "$id/models/");
	is(scalar(@{ $models // [] }), 3, 'models/ lists the provider\'s models');

	my $lit = make_llm($t, $alice, "http://127.0.0.1:$port/v1", $keys->{good}) or return;
	$fp->clear_requests;
	($res, $j) = probe($t, $alice, $lit);
	like($j->{error} // '', qr/outbound policy/, 'the name opens the name only, not its address');
	is(scalar($fp->requests), 0, 'nothing reached the listener');

	my $redir = make_llm($t, $alice, "http://localhost:$port/v1", $keys->{redir}) or return;
	($res, $j) = probe($t, $alice, $redir);
	like($j->{error} // '', qr/redirected to another host/, 'a redirect to another host is not followed');
	my $file = make_llm($t, $alice, "http://localhost:$port/v1", $keys->{file}) or return;
	($res, $j) = probe($t, $alice, $file);
	is($j->{ok}, JSON::PP::false, 'a redirect to file:// is not followed');
	like($j->{error} // '', qr/protocol/, 'and the error says why') or diag($res->{content});

	my $leak = make_llm($t, $alice, "http://localhost:$port/v1", $keys->{leak}) or return;
	($res, $j) = probe($t, $alice, $leak);
	is($j->{error}, 'the provider answered HTTP 500', 'an error page is not echoed, only its status');
	unlike($res->{content}, qr/hunter2|root:x/, 'nothing of its body comes back');
	my $jerr = make_llm($t, $alice, "http://localhost:$port/v1", $keys->{jerr}) or return;
	($res, $j) = probe($t, $alice, $jerr);
	like($j->{error} // '', qr/^the provider answered HTTP 500: overloaded x+$/,
		'a JSON error gives a short message') or diag($j->{error});
	ok(length($j->{error} // '') <= 200, 'cut short');
}

sub test_total_deadline {
	my ($t, $alice, $keys) = @_;
	# Four hops of 1.2 s each: every hop fits in the deadline, the whole
	# does not.  A per-hop timeout would let it through.
	my $id = make_llm($t, $alice, "http://localhost:$port/v1", $keys->{drip}) or return;
	my ($res, $j) = probe($t, $alice, $id);
	is($j->{ok}, JSON::PP::false, 'redirect hops that add up past the deadline: not ok');
	like($j->{error} // '', qr/timed out after $TIMEOUT seconds/, 'one deadline for the whole probe')
		or diag($res->{content});
}

# Starts a probe in a child process; returns its pid.
sub probe_in_background {
	my ($t, $token, $id) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		probe($t, $token, $id);
		POSIX::_exit(0);
	}
	return $pid;
}

sub wait_seen {
	my ($n) = @_;
	return wait_until(30, sub { scalar($fp->requests) >= $n });
}

sub test_per_user_limit {
	my ($t, $alice, $bob, $keys) = @_;
	my $slow = make_llm($t, $alice, "http://localhost:$port/v1", $keys->{slow}) or return;
	my $bobs = make_llm($t, $bob, "http://localhost:$port/v1", $keys->{good}) or return;
	$fp->clear_requests;
	my @kids = map { probe_in_background($t, $alice, $slow) } 1 .. 2;
	ok(wait_seen(2), 'two slow probes of alice are in flight');
	my ($res, $j) = probe($t, $alice, $slow);
	is($res->{status}, 429, 'a third probe of alice is refused with 429') or diag($res->{content});
	ok(($res->{headers}{'retry-after'} // '') =~ /^\d+$/, 'with Retry-After');
	like($j->{detail} // '', qr/in progress/, 'and a detail');
	($res) = cred_req($t, $alice, 'GET', "$slow/models/");
	is($res->{status}, 429, 'models/ counts against the same limit');
	($res, $j) = probe($t, $bob, $bobs);
	is($j->{ok}, JSON::PP::true, 'another user probes meanwhile');
	waitpid($_, 0) for @kids;
	($res, $j) = probe($t, $alice, make_llm($t, $alice, "http://localhost:$port/v1", $keys->{good}));
	is($j->{ok}, JSON::PP::true, 'after they finish, alice probes again');

	# A responder that dies in the middle of a probe leaks no slot.
	$fp->clear_requests;
	@kids = map { probe_in_background($t, $alice, $slow) } 1 .. 2;
	ok(wait_seen(2), 'two slow probes in flight again');
	kill 'KILL', $t->responder_pids;
	waitpid($_, 0) for @kids;
	ok($t->wait_ready, 'the pool replaces its responders');
	$fp->clear_requests;
	@kids = map { probe_in_background($t, $alice, $slow) } 1 .. 2;
	ok(wait_seen(2), 'after the kill both slots are free: two probes reach the provider');
	waitpid($_, 0) for @kids;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my %keys = map { $_ => "$_-" . random_name() . random_name() } qw(good redir file leak jerr drip slow);
	{
		my $t = PipelitTest->started(db_url => $db_url, env => { PIPELIT_OUTBOUND_ALLOW => undef },
			name => 'a stack without an allowlist') or return;
		my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
		subtest 'loopback refused in every spelling' => sub { test_refused_everywhere($t, $alice, \%keys) };
		$t->stop;
	}
	{
		my $t = PipelitTest->started(db_url => $db_url, responders => 4, name => 'a stack that allows localhost',
			env => { PIPELIT_OUTBOUND_ALLOW => 'localhost', PIPELIT_OUTBOUND_TIMEOUT_SECONDS => $TIMEOUT }) or return;
		my $alice = login($t, 'alice', 'alice-pass-1') or return fail('alice logs in');
		my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
		subtest 'allowlisted name' => sub { test_allowed_name($t, $alice, $bob, \%keys) };
		subtest 'one total deadline' => sub { test_total_deadline($t, $alice, \%keys) };
		subtest 'two probes per user' => sub { test_per_user_limit($t, $alice, $bob, \%keys) };
		$t->stop;
	}
});

$fp->stop;
done_testing;
