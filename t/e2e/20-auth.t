# Accounts from the outside: the setup endpoints (and their race), login
# with session-key rotation, /auth/me/, the 401 of a wrong password and of
# an unknown user (and that they cost the same work), named API keys
# (shown once, prefix only afterwards, expiry, revocation seen by every
# responder at once), users administration and `pipelit user`.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use PipelitTest;
use PipelitAuth;

need_nginx();

my $ME = '/api/v1/auth/me/';

sub test_setup_race {
	my ($t) = @_;
	my $res = $t->get('/api/v1/auth/setup-status/');
	is($res->{status}, 200, 'setup-status answers without auth');
	my $j = $t->json($res) // {};
	ok(JSON::PP::is_bool($j->{needs_setup}) && $j->{needs_setup}, 'needs_setup is true while no user exists')
		or diag($res->{content});
	ok(exists $j->{environment}, 'setup-status has an environment key');

	# Two clients, each in its own process, released at the same instant.
	my $go = time + 1.0;
	my $dir = $t->dir;
	my @rc = run_in_children(2, sub {
		my ($i) = @_;
		my $http = HTTP::Tiny->new(timeout => 60);
		sleep($go - time) if $go > time;
		my $r = $http->post($t->url('/api/v1/auth/setup/'), { headers => { 'Content-Type' => 'application/json' },
			content => JSON::PP::encode_json({ username => "first$i", password => 'first-pass' }) });
		open my $fh, '>', "$dir/setup.$i";
		print $fh $r->{content};
		close $fh;
		return $r->{status} == 200 ? 0 : $r->{status} == 409 ? 1 : 2;
	}, 60);
	is_deeply([sort @rc], [0, 1], 'two simultaneous setups: exactly one 200 and one 409')
		or diag("exit codes @rc (0 = 200, 1 = 409, 2 = other): "
			. join(' | ', map { PipelitTest::slurp("$dir/setup.$_") } 0, 1));
	is($t->db_query('SELECT count(*) FROM user_profiles'), 1, 'exactly one user exists after the race');
	my ($winner) = grep { $rc[$_] == 0 } 0 .. 1;
	my $won = defined $winner ? JSON::PP::decode_json(PipelitTest::slurp("$dir/setup.$winner")) : {};
	ok(($won->{key} // '') =~ /^[A-Za-z0-9_-]{43}$/, 'setup returns a 43-character session key');
	ok(JSON::PP::is_bool($won->{requires_mfa}) && !$won->{requires_mfa}, 'setup returns requires_mfa false');
	is($t->db_query("SELECT role FROM user_profiles"), 'admin', 'the user setup created is an admin');

	$j = $t->json($t->get('/api/v1/auth/setup-status/')) // {};
	ok(JSON::PP::is_bool($j->{needs_setup}) && !$j->{needs_setup}, 'needs_setup is false afterwards');
	is_detail($t, $t->post('/api/v1/auth/setup/', { username => 'late', password => 'late-pass' }), 409,
		'Setup already completed.', 'setup after the first user');
	is($t->db_query('SELECT count(*) FROM user_profiles'), 1, 'the late setup wrote nothing');
	return (defined $winner ? "first$winner" : undef, $won->{key});
}

sub test_login_rotation {
	my ($t, $user, $setup_key) = @_;
	my $res = $t->post('/api/v1/auth/token/', { username => $user, password => 'first-pass' });
	is($res->{status}, 200, 'login answers 200');
	my $j = $t->json($res) // {};
	my $k1 = $j->{key} // '';
	like($k1, qr/^[A-Za-z0-9_-]{43}$/, 'login returns a 43-character key');
	ok(JSON::PP::is_bool($j->{requires_mfa}) && !$j->{requires_mfa}, 'requires_mfa is false');
	is_deeply([sort keys %$j], [qw(key requires_mfa)], 'the login body has exactly key and requires_mfa');
	if (defined $setup_key) {
		is_detail($t, $t->get($ME, bearer($setup_key)), 401, 'Invalid or missing API key.',
			'the session key setup gave stops working after a login');
	}
	$res = $t->get($ME, bearer($k1));
	is($res->{status}, 200, '/auth/me/ with the session key');
	is_deeply($t->json($res), { username => $user, mfa_enabled => JSON::PP::false },
		'/auth/me/ is {username, mfa_enabled:false}') or diag($res->{content});
	is($t->get($ME, { Authorization => "bearer $k1" })->{status}, 200, 'the Bearer scheme is case-insensitive');

	my $k2 = login($t, $user, 'first-pass');
	ok(defined $k2 && $k2 ne $k1, 'a second login issues a different key');
	is_detail($t, $t->get($ME, bearer($k1)), 401, 'Invalid or missing API key.', 'the old session key after rotation');
	is($t->get($ME, bearer($k2 // 'x'))->{status}, 200, 'the new session key works');
	is($t->db_query("SELECT count(*) FROM api_keys WHERE name = 'session'"), 1,
		'rotation reuses one session key row');

	$res = $t->get($ME);
	is_detail($t, $res, 401, 'Not authenticated', 'no Authorization header');
	like($res->{headers}{'www-authenticate'} // '', qr/^Bearer/i, 'the 401 carries WWW-Authenticate: Bearer');
	is_detail($t, $t->get($ME, { Authorization => 'Bearer ' }), 401, 'Not authenticated', 'an empty credential');
	is_detail($t, $t->get($ME, { Authorization => 'Basic dXNlcjpwYXNz' }), 401, 'Not authenticated',
		'a non-Bearer scheme');
	is_detail($t, $t->get($ME, bearer('x' x 43)), 401, 'Invalid or missing API key.', 'an unknown token');
	return $k2;
}

# Unknown user and wrong password: same answer, and the same work.  The
# unknown user must pay for an Argon2id verification too (of a dummy hash),
# or the answer's timing would tell which names exist.  Proven by what the
# request did (PIPELIT_TEST_ROUTES adds X-Test-Password-Hash per Argon2id
# run), not by timing it: bench/auth.sh compares the times.
sub hash_runs {
	my ($res) = @_;
	my $h = $res->{headers}{'x-test-password-hash'};
	return join(',', ref $h ? @$h : defined $h ? ($h) : ());
}

sub test_login_failures {
	my ($t, $user) = @_;
	my $res = $t->post('/api/v1/auth/token/', { username => $user, password => 'wrong-pass' });
	is_detail($t, $res, 401, 'Invalid credentials.', 'a wrong password');
	is(hash_runs($res), 'verify', 'a wrong password costs one Argon2id verification');
	$res = $t->post('/api/v1/auth/token/', { username => 'nobody-' . random_name(), password => 'wrong-pass' });
	is_detail($t, $res, 401, 'Invalid credentials.', 'an unknown user');
	is(hash_runs($res), 'dummy', 'an unknown user costs one Argon2id verification too, of a dummy hash');
}

sub test_api_keys {
	my ($t, $token) = @_;
	my $res = $t->request('POST', '/api/v1/users/me/keys', { content => { name => 'ci' }, headers => bearer($token) });
	is($res->{status}, 201, 'creating a named key is 201');
	my $k = $t->json($res) // {};
	is_deeply([sort keys %$k], [sort qw(id name prefix created_at last_used_at expires_at is_active key)],
		'APIKeyCreatedOut has exactly its keys') or diag($res->{content});
	like($k->{key} // '', qr/^[A-Za-z0-9_-]{43}$/, 'the new key is shown: 43 characters');
	is($k->{prefix}, substr($k->{key} // '', 0, 8), 'prefix is the first 8 characters');
	like($k->{created_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'created_at is ISO-8601 with Z');
	ok(JSON::PP::is_bool($k->{is_active}) && $k->{is_active}, 'the new key is active');
	is($k->{expires_at}, undef, 'no expiry unless asked');
	is($t->get($ME, bearer($k->{key} // 'x'))->{status}, 200, 'the named key authenticates');

	$res = $t->get('/api/v1/users/me/keys', bearer($token));
	is($res->{status}, 200, 'listing my keys');
	my $list = $t->json($res);
	ok(ref $list eq 'ARRAY' && (grep { ($_->{prefix} // '') eq $k->{prefix} } @$list), 'the list shows the prefix');
	ok(ref $list eq 'ARRAY' && !(grep { exists $_->{key} } @$list), 'the list has no key field');
	ok(index($res->{content}, $k->{key} // 'none') < 0, 'the full key appears nowhere in the list');

	is_detail($t, $t->request('POST', '/api/v1/users/me/keys',
		{ content => { name => 'past', expires_at => '2000-01-01T00:00:00Z' }, headers => bearer($token) }),
		400, 'expires_at must be in the future.', 'a key expiring in the past');

	# A key that expires in 3 seconds: good now, "expired" afterwards.
	my $soon = make_key($t, $token, 'short-lived', iso_utc(time + 3));
	ok($soon, 'a key with a near expiry is created') or return;
	like($soon->{expires_at} // '', qr/Z$/, 'expires_at is returned with Z');
	is($t->get($ME, bearer($soon->{key}))->{status}, 200, 'the short-lived key works before its expiry');
	sleep 4.2;
	is_detail($t, $t->get($ME, bearer($soon->{key})), 401, 'API key has expired.', 'the key after its expiry');

	# Revocation: every responder has seen the key, then it is revoked; the
	# next 20 requests (spread over the pool by nginx) are all refused.
	my $rev = make_key($t, $token, 'to-revoke') or return fail('a key to revoke');
	my $warm = grep { $t->get($ME, bearer($rev->{key}))->{status} == 200 } 1 .. 20;
	is($warm, 20, 'the key works 20 times before revocation');
	$res = $t->request('DELETE', "/api/v1/users/me/keys/$rev->{id}", { headers => bearer($token) });
	is($res->{status}, 204, 'revoking is 204');
	is($res->{content} // '', '', 'the 204 has an empty body');
	my %seen;
	for (1 .. 20) {
		my $r = $t->get($ME, bearer($rev->{key}));
		$seen{ $r->{status} . ' ' . (($t->json($r) // {})->{detail} // '') }++;
	}
	is_deeply(\%seen, { '401 API key has been revoked.' => 20 }, 'the 20 requests after revocation are all 401 revoked')
		or diag(explain \%seen);
	my @after = @{ $t->json($t->get('/api/v1/users/me/keys', bearer($token))) // [] };
	my ($row) = grep { $_->{id} == $rev->{id} } @after;
	ok($row && !$row->{is_active}, 'the revoked key is still listed, inactive');
	is_detail($t, $t->request('DELETE', '/api/v1/users/me/keys/999999', { headers => bearer($token) }), 404,
		'API key not found.', 'revoking an unknown key');
}

sub test_users_admin {
	my ($t, $admin) = @_;
	my $h = bearer($admin);
	my $res = $t->request('POST', '/api/v1/users/',
		{ content => { username => 'carol', password => 'carol-pass', first_name => 'Carol' }, headers => $h });
	is($res->{status}, 201, 'an admin creates a user: 201');
	my $u = $t->json($res) // {};
	is_deeply([sort keys %$u], [sort qw(id username role first_name last_name created_at mfa_enabled key_count)],
		'UserOut has exactly its keys') or diag($res->{content});
	is($u->{role}, 'normal', 'role defaults to normal');
	is($u->{last_name}, '', 'a missing last_name is ""');
	is_detail($t, $t->request('POST', '/api/v1/users/',
		{ content => { username => 'carol', password => 'carol-pass' }, headers => $h }), 409,
		'Username already exists.', 'a taken username');
	$res = $t->get('/api/v1/users/', $h);
	my $list = $t->json($res) // {};
	ok(ref $list->{users} eq 'ARRAY' && $list->{total} == @{ $list->{users} }, 'GET /users/ is {users, total}')
		or diag($res->{content});
	my $carol = login($t, 'carol', 'carol-pass');
	ok($carol, 'the new user logs in');
	is(($t->json($t->get("/api/v1/users/$u->{id}", $h)) // {})->{key_count}, 1, 'key_count counts the session key');

	my $me = $t->json($t->get('/api/v1/users/me', $h)) // {};
	is_detail($t, $t->request('PATCH', "/api/v1/users/$me->{id}", { content => { role => 'normal' }, headers => $h }),
		409, 'Cannot demote the last admin user.', 'demoting the last admin');
	$res = $t->request('PATCH', '/api/v1/users/me',
		{ content => { password => 'carol-pass-2', current_password => 'carol-pass' }, headers => bearer($carol) });
	is($res->{status}, 200, 'a user changes their own password');
	ok(!login($t, 'carol', 'carol-pass'), 'the old password no longer logs in');
	$carol = login($t, 'carol', 'carol-pass-2');
	ok($carol, 'the new password logs in');

	is($t->request('DELETE', "/api/v1/users/$u->{id}", { headers => $h })->{status}, 204, 'deleting a user is 204');
	is_detail($t, $t->get($ME, bearer($carol // 'x')), 401, 'API key has been revoked.',
		"a deleted user's keys are revoked");
	is_detail($t, $t->get('/api/v1/users/999999', $h), 404, 'User not found.', 'an unknown user id');
}

sub run_cli {
	my ($t, $stdin, @args) = @_;
	my $bin = pipelit_bin();
	return run_command(cmd => ['sh', '-c', 'printf "%s" "$PW" | exec "$0" "$@"', $bin, @args],
		env => { %{ $t->env }, PW => $stdin }, dir => $t->dir, timeout => 60);
}

sub test_cli {
	my ($t) = @_;
	my ($rc, $out) = $t->pipelit('user', 'create', '--username', 'dave', '--password', 'dave-pass-1', '--role', 'normal');
	is($rc, 0, 'pipelit user create') or diag($out);
	ok(login($t, 'dave', 'dave-pass-1'), 'the user the CLI created logs in');
	is($t->db_query("SELECT role FROM user_profiles WHERE username = 'dave'"), 'normal', 'with the role given');
	($rc, $out) = $t->pipelit('user', 'create', '--username', 'dave', '--password', 'dave-pass-1');
	isnt($rc, 0, 'creating a taken username fails') or diag($out);
	($rc, $out) = $t->pipelit('user', 'create', '--username', 'erin', '--password', 'erin-pass-1', '--role', 'root');
	isnt($rc, 0, 'an unknown role is refused');
	is($t->db_query("SELECT count(*) FROM user_profiles WHERE username = 'erin'"), 0, 'and writes nothing');

	($rc, $out) = $t->pipelit('user', 'passwd', '--username', 'dave', '--password', 'dave-pass-2');
	is($rc, 0, 'pipelit user passwd') or diag($out);
	ok(!login($t, 'dave', 'dave-pass-1'), 'the old password is refused after passwd');
	ok(login($t, 'dave', 'dave-pass-2'), 'the new password works');
	($rc, $out) = run_cli($t, 'dave-pass-3', 'user', 'passwd', '--username', 'dave', '--password-stdin');
	is($rc, 0, 'pipelit user passwd --password-stdin') or diag($out);
	ok(login($t, 'dave', 'dave-pass-3'), 'the password read from stdin works');
	($rc, $out) = $t->pipelit('user', 'passwd', '--username', 'nobody', '--password', 'whatever-1');
	isnt($rc, 0, 'passwd for an unknown user fails');
	($rc, $out) = $t->pipelit('user', 'mfa-reset', '--username', 'dave');
	is($rc, 0, 'pipelit user mfa-reset') or diag($out);
	($rc, $out) = $t->pipelit('user', 'create', '--help');
	is($rc, 0, 'pipelit user create --help');
	like($out, qr/--username/, '--help names --username');
	unlike($t->log_text, qr/dave-pass/, 'no password reaches the log');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, responders => 4) or return;
	my ($user, $setup_key) = test_setup_race($t);
	return fail('no setup winner') unless defined $user;
	my $token = test_login_rotation($t, $user, $setup_key) or return;
	test_login_failures($t, $user);
	test_api_keys($t, $token);
	test_users_admin($t, $token);
	test_cli($t);
});

done_testing;
