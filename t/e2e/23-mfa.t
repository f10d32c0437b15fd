# TOTP MFA with codes this test computes itself (RFC 6238 in PipelitAuth):
# setup, verify, login answering requires_mfa (and leaving the grant the
# code step needs: 50-security-mfa.t tests that binding), login-verify, the replay
# guard, 5 attempts per window, the lockout after 10 consecutive failures
# (held in the database, so across a restart), disable, and reset from
# loopback only.  The windows are shortened through the environment.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

need_nginx();

my $WINDOW = 4;
my $LOCKOUT = 15;
my %ENV_MFA = (MFA_RATE_WINDOW_SECONDS => $WINDOW, MFA_RATE_MAX_ATTEMPTS => 5,
	MFA_LOCKOUT_THRESHOLD => 10, MFA_LOCKOUT_SECONDS => $LOCKOUT);

my $LV = '/api/v1/auth/mfa/login-verify/';

# The password step that answers requires_mfa and leaves a grant for the
# code step; returns the decoded answer.
sub password_step {
	my ($t, $user, $password) = @_;
	my $res = $t->post('/api/v1/auth/token/', { username => $user, password => $password });
	is($res->{status}, 200, "$user: the password step is 200") or diag($res->{content});
	return $t->json($res) // {};
}

sub post_as {
	my ($t, $token, $path, $body) = @_;
	return $t->request('POST', $path, { headers => bearer($token), (defined $body ? (content => $body) : ()) });
}

# setup + verify; returns (secret, last used step).
sub enable_mfa {
	my ($t, $token, $who) = @_;
	my $res = post_as($t, $token, '/api/v1/auth/mfa/setup/');
	is($res->{status}, 200, "$who: mfa setup is 200") or diag($res->{content});
	my $j = $t->json($res) // {};
	my $secret = $j->{secret} // '';
	like($secret, qr/^[A-Z2-7]{16,}=*$/, "$who: the secret is base32");
	my ($code, $step) = fresh_totp($secret);
	$res = post_as($t, $token, '/api/v1/auth/mfa/verify/', { code => $code });
	is($res->{status}, 200, "$who: verify with a good code") or diag($res->{content});
	return ($secret, $step, $j);
}

sub test_flow {
	my ($t) = @_;
	my $token = make_user($t, 'mia', 'mia-pass-123', 'normal') or return;
	is_deeply($t->json($t->get('/api/v1/auth/mfa/status/', bearer($token))), { mfa_enabled => JSON::PP::false },
		'status before setup: mfa_enabled false');
	my $res = post_as($t, $token, '/api/v1/auth/mfa/verify/', { code => '123456' });
	is_detail($t, $res, 400, 'Call /mfa/setup/ first.', 'verify before setup');
	is_detail($t, post_as($t, $token, '/api/v1/auth/mfa/disable/', { code => '123456' }), 400, 'MFA is not enabled.',
		'disable while not enabled');

	$res = post_as($t, $token, '/api/v1/auth/mfa/setup/');
	is($res->{status}, 200, 'setup is 200');
	my $j = $t->json($res) // {};
	is_deeply([sort keys %$j], [qw(provisioning_uri secret)], 'setup returns secret and provisioning_uri');
	my $secret = $j->{secret} // '';
	is($j->{provisioning_uri}, "otpauth://totp/Pipelit:mia?secret=$secret&issuer=Pipelit", 'the provisioning URI');
	ok(length(base32_decode($secret)) >= 10, 'the secret decodes to at least 80 bits');
	is_deeply($t->json($t->get('/api/v1/auth/mfa/status/', bearer($token))), { mfa_enabled => JSON::PP::false },
		'setup alone does not enable MFA');

	is_detail($t, post_as($t, $token, '/api/v1/auth/mfa/verify/', { code => wrong_totp($secret) }), 400,
		'Invalid TOTP code.', 'verify with a wrong code');
	my ($code, $step) = fresh_totp($secret);
	$res = post_as($t, $token, '/api/v1/auth/mfa/verify/', { code => $code });
	is($res->{status}, 200, 'verify with the code of the current step');
	is_deeply($t->json($res), { mfa_enabled => JSON::PP::true }, 'verify returns {mfa_enabled:true}');
	is_deeply($t->json($t->get('/api/v1/auth/me/', bearer($token))), { username => 'mia', mfa_enabled => JSON::PP::true },
		'/auth/me/ says mfa_enabled');
	is_detail($t, post_as($t, $token, '/api/v1/auth/mfa/setup/'), 400, 'MFA is already enabled.', 'setup again');
	is_detail($t, post_as($t, $token, '/api/v1/auth/mfa/verify/', { code => $code }), 400, 'MFA is already enabled.',
		'verify again');

	$res = $t->post('/api/v1/auth/token/', { username => 'mia', password => 'mia-pass-123' });
	is($res->{status}, 200, 'login with MFA enabled is 200');
	$j = $t->json($res) // {};
	is($j->{key}, '', 'login answers key ""');
	ok(JSON::PP::is_bool($j->{requires_mfa}) && $j->{requires_mfa}, 'and requires_mfa true');
	like($j->{mfa_token} // '', qr/^[A-Za-z0-9_-]{43}$/, 'and an opaque mfa_token');
	is_detail($t, $t->post('/api/v1/auth/token/', { username => 'mia', password => 'wrong-pass' }), 401,
		'Invalid credentials.', 'a wrong password still is 401 with MFA');

	is_detail($t, $t->post($LV, { username => 'mia', code => $code }), 401, 'Invalid TOTP code.',
		'login-verify with the code verify already used (replay across endpoints)');
	my ($next, $nstep) = fresh_totp($secret, $step);
	$res = $t->post($LV, { username => 'mia', code => $next });
	is($res->{status}, 200, 'login-verify with a fresh code') or diag($res->{content});
	$j = $t->json($res) // {};
	like($j->{key} // '', qr/^[A-Za-z0-9_-]{43}$/, 'login-verify issues a session key');
	ok(JSON::PP::is_bool($j->{requires_mfa}) && !$j->{requires_mfa}, 'with requires_mfa false');
	is($t->get('/api/v1/auth/me/', bearer($j->{key} // 'x'))->{status}, 200, 'the key from login-verify works');
	is_detail($t, $t->get('/api/v1/auth/me/', bearer($token)), 401, 'Invalid or missing API key.',
		'login-verify rotated the previous session key');
	$token = $j->{key} // $token;
	password_step($t, 'mia', 'mia-pass-123');
	is_detail($t, $t->post($LV, { username => 'mia', code => $next }), 401, 'Invalid TOTP code.',
		'the same code again is refused (replay), even after a new password step');

	is_detail($t, $t->post($LV, { username => 'nobody-here', code => '123456' }), 401, 'Invalid credentials.',
		'login-verify for an unknown user');
	make_user($t, 'nomfa', 'nomfa-pass-1', 'normal');
	is_detail($t, $t->post($LV, { username => 'nomfa', code => '123456' }), 401, 'Invalid credentials.',
		'login-verify for a user without MFA');
	for my $bad ('12345', '1234567', 'abcdef', 123456) {
		is_validation($t, $t->post($LV, { username => 'mia', code => $bad }), "login-verify with code " . JSON::PP->new->allow_nonref->encode($bad));
	}

	sleep $WINDOW + 0.5;    # a new rate window
	is_detail($t, post_as($t, $token, '/api/v1/auth/mfa/disable/', { code => wrong_totp($secret) }), 400,
		'Invalid TOTP code.', 'disable with a wrong code');
	my ($dcode) = fresh_totp($secret, $nstep);
	$res = post_as($t, $token, '/api/v1/auth/mfa/disable/', { code => $dcode });
	is($res->{status}, 200, 'disable with a fresh code') or diag($res->{content});
	is_deeply($t->json($res), { mfa_enabled => JSON::PP::false }, 'disable returns {mfa_enabled:false}');
	is(($t->json($t->post('/api/v1/auth/token/', { username => 'mia', password => 'mia-pass-123' })) // {})->{requires_mfa},
		JSON::PP::false, 'after disable, login no longer requires MFA');
	is($t->db_query("SELECT count(*) FROM user_profiles WHERE username = 'mia' AND totp_secret IS NOT NULL AND totp_secret <> ''"),
		0, 'disable clears the stored secret');
}

sub test_rate_limit {
	my ($t) = @_;
	my $token = make_user($t, 'rex', 'rex-pass-123', 'normal') or return;
	my ($secret, $step) = enable_mfa($t, $token, 'rex');
	password_step($t, 'rex', 'rex-pass-123');
	sleep $WINDOW + 0.5;
	my @st = map { $t->post($LV, { username => 'rex', code => wrong_totp($secret) })->{status} } 1 .. 5;
	is("@st", '401 401 401 401 401', 'five wrong codes in a window: 401 each');
	my ($good, $gstep) = fresh_totp($secret, $step);
	is_detail($t, $t->post($LV, { username => 'rex', code => $good }), 401, 'Invalid TOTP code.',
		'the sixth attempt in the window is refused even with a good code');
	sleep $WINDOW + 0.5;
	($good) = fresh_totp($secret, $step);
	my $res = $t->post($LV, { username => 'rex', code => $good });
	is($res->{status}, 200, 'in the next window the good code is accepted') or diag($res->{content});
	my ($rc, $out) = $t->pipelit('user', 'mfa-reset', '--username', 'rex');
	is($rc, 0, 'pipelit user mfa-reset') or diag($out);
	ok(login($t, 'rex', 'rex-pass-123'), 'after the CLI reset, login gives a key directly');
}

sub test_lockout {
	my ($t) = @_;
	my $token = make_user($t, 'lou', 'lou-pass-123', 'normal') or return;
	my ($secret, $step) = enable_mfa($t, $token, 'lou');
	password_step($t, 'lou', 'lou-pass-123');
	for my $round (1, 2) {
		sleep $WINDOW + 0.5;
		my @st = map { $t->post($LV, { username => 'lou', code => wrong_totp($secret) })->{status} } 1 .. 5;
		is("@st", '401 401 401 401 401', "lockout round $round: five wrong codes");
	}
	my $locked_at = time;
	sleep $WINDOW + 0.5;    # past the rate window: only the lockout can refuse now
	my ($good) = fresh_totp($secret, $step);
	is_detail($t, $t->post($LV, { username => 'lou', code => $good }), 401, 'Invalid TOTP code.',
		'after 10 consecutive failures a good code is refused (locked out)');
	ok($t->restart, 'the pool restarts while lou is locked out') or return diag($t->log_tail);
	if (time - $locked_at < $LOCKOUT - 1) {
		($good) = fresh_totp($secret, $step);
		is_detail($t, $t->post($LV, { username => 'lou', code => $good }), 401, 'Invalid TOTP code.',
			'the lockout holds across a restart (it lives in the database)');
	}
	my $left = $locked_at + $LOCKOUT + 1 - time;
	sleep $left if $left > 0;
	($good) = fresh_totp($secret, $step);
	my $res = $t->post($LV, { username => 'lou', code => $good });
	is($res->{status}, 200, 'after the lockout ends the good code is accepted') or diag($res->{content});
}

# Reset is for loopback clients only, with the password.  Through nginx
# REMOTE_ADDR is 127.0.0.1, so it succeeds; a non-loopback client is
# simulated by speaking FastCGI to the pool's socket directly with
# REMOTE_ADDR 192.0.2.10.
sub test_reset {
	my ($t) = @_;
	my $token = make_user($t, 'zed', 'zed-pass-123', 'normal') or return;
	enable_mfa($t, $token, 'zed');
	my $pw = JSON::PP::encode_json({ password => 'zed-pass-123' });
	my $res = fcgi_request($t->socket_path, 'POST', '/api/v1/auth/mfa/reset/',
		{ HTTP_AUTHORIZATION => "Bearer $token", REMOTE_ADDR => '192.0.2.10' }, $pw);
	ok($res, 'the pool answers FastCGI directly') or return;
	is($res->{status}, 403, 'reset from a non-loopback address is 403');
	is((eval { JSON::PP::decode_json($res->{content}) } // {})->{detail}, 'MFA reset only allowed from localhost.',
		'with the spec detail') or diag($res->{content});
	is($t->db_query("SELECT count(*) FROM user_profiles WHERE username = 'zed' AND mfa_enabled"), 1,
		'the refused reset changed nothing');
	$res = fcgi_request($t->socket_path, 'POST', '/api/v1/auth/mfa/reset/',
		{ HTTP_AUTHORIZATION => "Bearer $token", REMOTE_ADDR => '10.1.2.3' }, $pw);
	is($res && $res->{status}, 403, 'a private address is not loopback either');
	$res = post_as($t, $token, '/api/v1/auth/mfa/reset/', { password => 'zed-pass-123' });
	is($res->{status}, 200, 'reset through nginx (127.0.0.1) with the password is 200');
	is_deeply($t->json($res), { mfa_enabled => JSON::PP::false }, 'reset returns {mfa_enabled:false}');
	ok(login($t, 'zed', 'zed-pass-123'), 'after reset, login gives a key directly');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => \%ENV_MFA) or return;
	test_flow($t);
	test_reset($t);
	test_rate_limit($t);
	test_lockout($t);
});

done_testing;
