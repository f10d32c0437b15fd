# Secrets at rest: after storing an LLM API key, git tokens, a TOTP secret,
# API keys and a password, the raw SQLite files (and -wal) or a pg_dump,
# and the log, contain none of them.  Then the same database without
# FIELD_ENCRYPTION_KEY (credential and MFA endpoints 503 naming the
# setting, everything else works) and with a wrong key (a clear 503, never
# garbage).
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

need_nginx();

sub store_secrets {
	my ($t) = @_;
	my %s = (
		admin_password => 'Adm1n-pass-' . random_name(),
		user_password => 'Us3r-pass-' . random_name(),
		llm_key => 'sk-atrest-' . random_name() . random_name(),
		git_token => 'ghp_atrest' . random_name() . random_name(),
		webhook_secret => 'whsec-atrest-' . random_name() . random_name(),
		ssh_key => "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA" . random_name() . "\n-----END OPENSSH PRIVATE KEY-----",
	);
	my $admin = make_user($t, 'keeper', $s{admin_password}, 'admin') or return;
	$s{session_admin} = $admin;
	my $user = make_user($t, 'plain', $s{user_password}, 'normal') or return;
	$s{session_user} = $user;
	my $res = $t->request('POST', '/api/v1/credentials/', { headers => bearer($admin), content => { name => 'openai',
		credential_type => 'llm', detail => { provider_type => 'openai_compatible', api_key => $s{llm_key} } } });
	is($res->{status}, 201, 'an LLM credential is stored') or diag($res->{content});
	my $cred = $t->json($res) // {};
	$s{cred_id} = $cred->{id};
	$s{mask} = ($cred->{detail} // {})->{api_key};
	is($s{mask}, '****' . substr($s{llm_key}, -4), 'the API key comes back masked');
	$res = $t->request('POST', '/api/v1/credentials/', { headers => bearer($admin), content => { name => 'git',
		credential_type => 'git', detail => { access_token => $s{git_token}, ssh_private_key => $s{ssh_key},
			webhook_secret => $s{webhook_secret}, username => 'octo' } } });
	is($res->{status}, 201, 'a git credential is stored') or diag($res->{content});

	$res = $t->request('POST', '/api/v1/auth/mfa/setup/', { headers => bearer($admin) });
	$s{totp} = ($t->json($res) // {})->{secret};
	ok($s{totp}, 'a TOTP secret is issued') or diag($res->{content});
	$res = $t->request('POST', '/api/v1/auth/mfa/verify/',
		{ headers => bearer($admin), content => { code => totp_now_code($s{totp} // 'AAAA') } });
	is($res->{status}, 200, 'MFA is enabled') or diag($res->{content});
	for my $n (1 .. 3) {
		my $k = make_key($t, $user, "key$n") or next;
		$s{"api_key$n"} = $k->{key};
	}
	ok(defined $s{api_key3}, 'three API keys are created');
	like($t->db_query("SELECT api_key FROM llm_credentials") // '', qr/^v2:[0-9a-f]{8}:/, 'the stored API key is v2: ciphertext with a key id');
	return \%s;
}

sub assert_absent {
	my ($what, $text, $s) = @_;
	ok(defined $text && length $text > 0, "$what can be read") or return;
	my @found = grep { defined $s->{$_} && index($text, $s->{$_}) >= 0 } sort keys %$s;
	# The ssh key's body line alone is just as secret as the whole block.
	my ($ssh_body) = ($s->{ssh_key} // '') =~ /\n(\S+)\n/;
	push @found, 'ssh_key body' if $ssh_body && index($text, $ssh_body) >= 0;
	ok(!@found, "$what holds no secret in clear") or diag("found: @found");
}

sub test_at_rest {
	my ($t, $backend, $s) = @_;
	my %secret = map { $_ => $s->{$_} } grep { $_ ne 'cred_id' && $_ ne 'mask' } keys %$s;
	if ($backend eq 'sqlite') {
		assert_absent('the SQLite files of the running pool (with -wal)', sqlite_files_text($t), \%secret);
	} else {
		assert_absent('a pg_dump of the running pool\'s database', pg_dump_text($t), \%secret);
	}
	assert_absent('the pool\'s log', $t->log_text . ' ', \%secret);
	is($t->stop, 0, 'the pool stops');
	if ($backend eq 'sqlite') {
		assert_absent('the SQLite files after a clean stop', sqlite_files_text($t), \%secret);
	}
}

sub key_error {
	my ($t, $res, $status, $name) = @_;
	is($res->{status}, $status, "$name: $status");
	my $d = ($t->json($res) // {})->{detail};
	like(ref $d ? '' : $d // '', qr/FIELD_ENCRYPTION_KEY/, "$name: the detail names FIELD_ENCRYPTION_KEY")
		or diag(substr($res->{content} // '', 0, 300));
}

sub test_without_key {
	my ($db_url, $s) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => { FIELD_ENCRYPTION_KEY => undef },
		name => 'the pool starts without FIELD_ENCRYPTION_KEY') or return;
	my $admin = login($t, 'plain', $s->{user_password});
	ok($admin, 'login works without a key');
	my $h = bearer($admin // 'x');
	is($t->get('/health')->{status}, 200, '/health works without a key');
	is($t->get('/api/v1/auth/me/', $h)->{status}, 200, '/auth/me/ works without a key');
	is($t->get('/api/v1/users/me/keys', $h)->{status}, 200, 'listing keys works without a key');
	is(make_key($t, $admin // 'x', 'nokey') ? 201 : 0, 201, 'creating an API key works without a key');
	is(($t->json($t->post('/api/v1/auth/token/', { username => 'keeper', password => $s->{admin_password} })) // {})->{requires_mfa},
		JSON::PP::true, 'an MFA user still gets requires_mfa without a key');
	my $before = $t->db_query('SELECT count(*) FROM credentials');
	key_error($t, $t->get('/api/v1/credentials/', $h), 503, 'GET /credentials/ without a key');
	key_error($t, $t->request('POST', '/api/v1/credentials/', { headers => $h,
		content => { name => 'x', credential_type => 'llm', detail => { api_key => 'sk-nokey-1234567890' } } }),
		503, 'POST /credentials/ without a key');
	is($t->db_query('SELECT count(*) FROM credentials'), $before, 'nothing was written');
	key_error($t, $t->request('POST', '/api/v1/auth/mfa/setup/', { headers => $h }), 503, 'mfa setup without a key');
	key_error($t, $t->request('POST', '/api/v1/auth/mfa/verify/', { headers => $h, content => { code => '123456' } }),
		503, 'mfa verify without a key');
	key_error($t, $t->post('/api/v1/auth/mfa/login-verify/', { username => 'keeper', code => totp_now_code($s->{totp}) }),
		503, 'mfa login-verify without a key');
	$t->stop;
}

sub test_wrong_key {
	my ($db_url, $s) = @_;
	my ($rc, $other) = run_command(cmd => [pipelit_bin(), 'keygen'], timeout => 30);
	chomp $other;
	my $t = PipelitTest->started(db_url => $db_url, env => { FIELD_ENCRYPTION_KEY => $other },
		name => 'the pool starts with a different key') or return;
	my $user = login($t, 'plain', $s->{user_password});
	is($t->get('/api/v1/auth/me/', bearer($user // 'x'))->{status}, 200, 'accounts work with a wrong key');
	# The code step needs its password step first (50-security-mfa.t).
	$t->post('/api/v1/auth/token/', { username => 'keeper', password => $s->{admin_password} });
	my $res = $t->post('/api/v1/auth/mfa/login-verify/', { username => 'keeper', code => totp_now_code($s->{totp}) });
	key_error($t, $res, 503, 'login-verify when the TOTP secret does not decrypt');
	ok(!(($t->json($res) // {})->{key}), 'and no key is issued');
	# Read the credential as its owner: reset MFA from the CLI, log in.
	($rc) = $t->pipelit('user', 'mfa-reset', '--username', 'keeper');
	my $admin = login($t, 'keeper', $s->{admin_password});
	ok($admin, 'the owner logs in after an MFA reset') or return;
	$res = $t->get("/api/v1/credentials/$s->{cred_id}/", bearer($admin));
	key_error($t, $res, 503, 'a credential that does not decrypt');
	unlike($res->{content} // '', qr/api_key/, 'no api_key field, no garbage');
	key_error($t, $t->get('/api/v1/credentials/', bearer($admin)), 503, 'the list when secrets do not decrypt');
	$t->stop;

	$t = PipelitTest->new(db_url => $db_url, env => { FIELD_ENCRYPTION_KEY => 'not-a-valid-key' });
	my $up = $t->start;
	if (!$up) {
		like($t->log_text, qr/FIELD_ENCRYPTION_KEY/, 'a malformed key stops the start with a message naming it');
	} else {
		key_error($t, $t->get("/api/v1/credentials/$s->{cred_id}/", bearer(login($t, 'keeper', $s->{admin_password}) // 'x')),
			503, 'a malformed key');
	}
	$t->stop;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $s = store_secrets($t) or return fail('storing the secrets');
	test_at_rest($t, $backend, $s);
	test_without_key($db_url, $s);
	test_wrong_key($db_url, $s);
});

done_testing;
