# `pipelit db rotate-key`: with the pool running, rotate, update .env,
# SIGHUP, and every secret still decrypts (the credential shows the same
# mask, MFA codes still verify).  Then, on a database with many secrets,
# rotations killed with SIGKILL in the middle leave the old key valid for
# everything.
#
# The key lives in the stack's .env file, not in the environment: the
# master re-reads its configuration on SIGHUP, and an environment variable
# would override the file forever.
use strict;
use warnings;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

need_nginx();

# Enough secrets that a rotation takes a moment (SQLite re-encrypts
# 50000 in well under 0.3 s; PostgreSQL takes seconds for 50000).
my %BULK = (sqlite => 300000, postgresql => 50000);

sub keygen {
	my ($rc, $k) = run_command(cmd => [pipelit_bin(), 'keygen'], timeout => 30);
	chomp $k;
	return $k;
}

# The new key goes through a file, never the command line.
sub key_file {
	my ($t, $key) = @_;
	my $path = $t->dir . '/new-key.' . random_name();
	open my $fh, '>', $path or die "$!";
	print $fh "$key\n";
	close $fh;
	return ('--new-key-file', $path);
}

sub write_env_key {
	my ($t, $key) = @_;
	open my $fh, '>', $t->dir . '/.env' or die "$!";
	print $fh "FIELD_ENCRYPTION_KEY=$key\n";
	close $fh;
}

sub cred_mask {
	my ($t, $token, $id) = @_;
	my $res = $t->get("/api/v1/credentials/$id/", bearer($token));
	return $res->{status} == 200 ? (($t->json($res) // {})->{detail} // {})->{api_key} // '' : "status $res->{status}";
}

sub setup_secrets {
	my ($t) = @_;
	my %s;
	$s{admin} = make_user($t, 'rot', 'rot-pass-123', 'admin') or return;
	my $res = $t->request('POST', '/api/v1/credentials/', { headers => bearer($s{admin}), content => { name => 'llm',
		credential_type => 'llm', detail => { api_key => 'sk-rotate-abcdefghijklmnop' } } });
	is($res->{status}, 201, 'a credential is stored') or return diag($res->{content});
	$s{cred} = ($t->json($res) // {})->{id};
	$s{mask} = cred_mask($t, $s{admin}, $s{cred});
	is($s{mask}, '****mnop', 'its mask');
	my $user = make_user($t, 'otp', 'otp-pass-123', 'normal') or return;
	$res = $t->request('POST', '/api/v1/auth/mfa/setup/', { headers => bearer($user) });
	$s{totp} = ($t->json($res) // {})->{secret} or return diag($res->{content});
	$s{step} = int(time / 30);
	$res = $t->request('POST', '/api/v1/auth/mfa/verify/',
		{ headers => bearer($user), content => { code => totp_code($s{totp}, time) } });
	is($res->{status}, 200, 'MFA is enabled for otp') or return diag($res->{content});
	return \%s;
}

# login-verify with a code the user has not used yet (the next step is
# inside the server's window and after every step used so far).
sub mfa_still_verifies {
	my ($t, $s, $name) = @_;
	my $step = int(time / 30);
	$step = $s->{step} + 1 if $step <= $s->{step};
	sleep($step * 30 - 30 - time + 0.2) if $step > int(time / 30) + 1;
	# The code step needs its password step first (50-security-mfa.t).
	$t->post('/api/v1/auth/token/', { username => 'otp', password => 'otp-pass-123' });
	my $res = $t->post('/api/v1/auth/mfa/login-verify/', { username => 'otp', code => totp_code($s->{totp}, $step * 30) });
	is($res->{status}, 200, $name) or diag($res->{content});
	$s->{step} = $step if $res->{status} == 200;
}

sub test_rotate_live {
	my ($t, $s, $k2) = @_;
	my ($rc, $out) = $t->pipelit('db', 'rotate-key', key_file($t, $k2));
	is($rc, 0, 'rotate-key succeeds with the pool running') or diag($out);
	like($out, qr/FIELD_ENCRYPTION_KEY=\Q$k2\E/, 'it says what to put in .env');
	like($out, qr/SIGHUP/, 'it mentions SIGHUP');
	my $m = cred_mask($t, $s->{admin}, $s->{cred});
	ok($m eq $s->{mask} || $m eq 'status 503', "before SIGHUP the old responders give the mask or a clear 503 ($m)");
	write_env_key($t, $k2);
	kill 'HUP', $t->master_pid;
	my $ok = wait_until(30, sub { cred_mask($t, $s->{admin}, $s->{cred}) eq $s->{mask} });
	ok($ok, 'after SIGHUP the credential decrypts with the new key and shows the same mask')
		or diag(cred_mask($t, $s->{admin}, $s->{cred}) . "\n" . $t->log_tail);
	sleep 1;    # let every responder be replaced
	my @m = map { cred_mask($t, $s->{admin}, $s->{cred}) } 1 .. 10;
	is_deeply(\@m, [($s->{mask}) x 10], 'every responder has the new key');
	mfa_still_verifies($t, $s, 'an MFA code still verifies after the rotation');
	($rc, $out) = $t->pipelit('db', 'rotate-key', key_file($t, $k2));
	isnt($rc, 0, 'rotating to the key in use is refused');
	($rc, $out) = $t->pipelit('db', 'rotate-key', key_file($t, 'short'));
	isnt($rc, 0, 'a malformed new key is refused');
}

# Many credentials with headers still in clear, as written before headers
# were encrypted: a rotation seals each (bound to its row, so ciphertexts
# cannot simply be copied between rows), which takes a moment.
sub bulk_insert {
	my ($t, $backend, $uid, $cred) = @_;
	my $n = $BULK{$backend};
	my $gen = $backend eq 'sqlite'
		? "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n) "
			. "INSERT INTO credentials (user_profile_id, name, credential_type) SELECT $uid, 'bulk' || i, 'llm' FROM n"
		: "INSERT INTO credentials (user_profile_id, name, credential_type) "
			. "SELECT $uid, 'bulk' || i, 'llm' FROM generate_series(1, $n) AS i";
	defined $t->db_query($gen) or return 0;
	defined $t->db_query("INSERT INTO llm_credentials (base_credentials_id, api_key, custom_headers) "
		. "SELECT id, '', '{\"X-Bulk\":\"bulk-header-value-0123\"}' FROM credentials WHERE name LIKE 'bulk%'") or return 0;
	return 1;
}

# One fingerprint of every stored secret: changes if any row changed.
sub secrets_fingerprint {
	my ($t) = @_;
	return join '/', map { $t->db_query($_) // 'error' }
		'SELECT count(*) || \':\' || count(DISTINCT custom_headers) || \':\' || min(custom_headers) || \':\' || max(custom_headers) FROM llm_credentials',
		'SELECT coalesce(max(totp_secret), \'\') FROM user_profiles';
}

# What a bulk credential shows: its header's mask, or the failure.
sub bulk_mask {
	my ($t, $token, $id) = @_;
	my $res = $t->get("/api/v1/credentials/$id/", bearer($token));
	return "status $res->{status}" if $res->{status} != 200;
	return ((($t->json($res) // {})->{detail} // {})->{custom_headers} // {})->{'X-Bulk'} // '';
}

# Runs rotate-key in the background and SIGKILLs it after $delay seconds;
# returns 'killed' when it was still running, or its exit status.
sub rotate_and_kill {
	my ($t, $key, $delay) = @_;
	my $pid = $t->spawn([pipelit_bin(), 'db', 'rotate-key', key_file($t, $key)], $t->dir . '/rotate.log', $t->env);
	my $end = time + $delay;
	while (time < $end) {
		my $r = waitpid($pid, WNOHANG);
		return $? >> 8 if $r == $pid;
		sleep 0.01;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return 'killed';
}

sub test_rotate_killed {
	my ($t, $backend, $s) = @_;
	my $uid = $t->db_query("SELECT id FROM user_profiles WHERE username = 'rot'");
	ok(bulk_insert($t, $backend, $uid, $s->{cred}), "$BULK{$backend} more encrypted credentials inserted") or return;
	my $before = secrets_fingerprint($t);
	my $k3 = keygen();
	my $killed = 0;
	for my $delay (0.15, 0.4, 1, 2) {
		my $r = rotate_and_kill($t, $k3, $delay);
		if ($r ne 'killed') {
			diag("rotate-key finished within $delay s (status $r): the kill came too late");
			# The rotation is complete: move the pool to the new key, so the
			# checks below still mean something.
			write_env_key($t, $k3);
			kill 'HUP', $t->master_pid;
			wait_until(30, sub { cred_mask($t, $s->{admin}, $s->{cred}) eq $s->{mask} });
			last;
		}
		my $bulk = $t->db_query("SELECT max(id) FROM credentials WHERE name LIKE 'bulk%'");
		if (secrets_fingerprint($t) ne $before) {
			# The kill landed after the commit (between COMMIT and exit).
			# The rotation is one transaction, so every secret must now be
			# under the new key: none may be left under the old one.
			diag("rotate-key committed just before the kill at $delay s");
			write_env_key($t, $k3);
			kill 'HUP', $t->master_pid;
			ok(wait_until(30, sub { cred_mask($t, $s->{admin}, $s->{cred}) eq $s->{mask} }),
				"a rotation committed before the kill at $delay s: the first secret is under the new key");
			is(bulk_mask($t, $s->{admin}, $bulk), '****0123', 'and so is the last of the bulk credentials');
			last;
		}
		$killed++;
		pass("rotate-key killed after $delay s: no stored secret changed");
		is(cred_mask($t, $s->{admin}, $s->{cred}), $s->{mask}, "after the kill at $delay s the old key still decrypts");
		is(bulk_mask($t, $s->{admin}, $bulk), '****0123', 'and the last of the bulk credentials reads');
	}
	ok($killed > 0, 'at least one rotation was killed in the middle') or diag(PipelitTest::slurp($t->dir . '/rotate.log'));
	mfa_still_verifies($t, $s, 'MFA still verifies after the killed rotations');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $k1 = keygen();
	my $t = PipelitTest->new(db_url => $db_url, env => { FIELD_ENCRYPTION_KEY => undef });
	write_env_key($t, $k1);
	ok($t->start, 'the stack starts with the key in .env') or return diag($t->log_tail);
	my $s = setup_secrets($t) or return fail('setting up the secrets');
	test_rotate_live($t, $s, keygen());
	test_rotate_killed($t, $backend, $s);
});

done_testing;
