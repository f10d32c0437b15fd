# Storage faults on SQLite: a store that turns read-only, a full disk.
#
# Each fault is made for the pool alone: the pool runs in a mount namespace
# of its own (unshare -m), and the test changes mounts inside it with
# nsenter, so nothing is visible outside and nothing is left behind.  That
# needs root (CI runs as root); otherwise the test skips, saying so.
#
# Every write the API acknowledged (a 201) is written down and checked at
# the end: none may be missing.  While the fault lasts, writes get a 503
# (read-only) or 507 (disk full) with Retry-After, never a 500; /health
# says 503; once the fault is gone, writes succeed again without a restart.
use strict;
use warnings;
use File::Path qw(make_path);
use Test::More;
use Time::HiRes qw(sleep);
use PipelitTest;
use PipelitAuth qw(make_user bearer);

need_nginx();
plan skip_all => 'needs root for private mounts (unshare -m, nsenter); CI runs as root'
	unless $> == 0;
for my $tool (qw(unshare nsenter mount sqlite3)) {
	plan skip_all => "$tool is not installed"
		unless grep { -x "$_/$tool" } split /:/, "$ENV{PATH}:/usr/bin:/usr/sbin:/bin:/sbin";
}

# The pool's command, run inside a private mount namespace after $setup
# (shell, may be empty).
sub pool_in_namespace {
	my ($t, $setup) = @_;
	return ('unshare', '-m', '--propagation', 'private', 'sh', '-c',
		($setup ? "$setup && " : '') . 'exec "$@"', 'sh',
		pipelit_bin(), 'serve', '--socket', $t->socket_path, '--pid-file', $t->pid_file);
}

# Runs a shell command in the pool's mount namespace, with the stack's
# environment; returns (status, output).
sub in_pool_ns {
	my ($t, $sh) = @_;
	return run_command(cmd => ['nsenter', '-t', $t->master_pid, '-m', 'sh', '-c', $sh],
		env => $t->env, dir => $t->dir, timeout => 120);
}

# Kills the responders so the master starts new ones, which open the
# database afresh; waits until new ones answer.
sub renew_responders {
	my ($t) = @_;
	my @old = $t->responder_pids;
	kill 'KILL', @old;
	my %old = map { $_ => 1 } @old;
	wait_until(20, sub {
		my @now = $t->responder_pids;
		return @now >= @old && !grep { $old{$_} } @now;
	});
}

my $n = 0;
sub create_workflow {
	my ($t, $token, $pad) = @_;
	$n++;
	my $res = $t->request('POST', '/api/v1/workflows/', { headers => bearer($token),
		content => { name => "ledger $n", description => ($pad // '') } });
	my $j = $t->json($res) // {};
	return ($res, $j);
}

# The workflows the API lists for $token, by slug.
sub listed_slugs {
	my ($t, $token) = @_;
	my %seen;
	for (my $offset = 0;; $offset += 1000) {
		my $res = $t->request('GET', "/api/v1/workflows/?limit=1000&offset=$offset",
			{ headers => bearer($token) });
		my $j = $t->json($res) // {};
		my @items = @{ $j->{items} // [] };
		$seen{ $_->{slug} } = 1 for @items;
		last if @items < 1000;
	}
	return \%seen;
}

sub check_ledger {
	my ($t, $token, $acked) = @_;
	my $seen = listed_slugs($t, $token);
	my @missing = grep { !$seen->{$_} } @$acked;
	is(scalar @missing, 0, scalar(@$acked) . ' acknowledged writes, none missing')
		or diag("missing: @missing[0 .. ($#missing < 9 ? $#missing : 9)]");
}

subtest 'a store that was read-only when a responder opened it' => sub {
	my $t = PipelitTest->new;
	make_path($t->dir . '/data');
	ok($t->start(pool_in_namespace($t, '')), 'the pool starts in its own mount namespace')
		or return diag($t->log_tail);
	my $token = make_user($t, 'ro-admin', 'secret-pass-1', 'admin') or return;
	my @acked;
	my ($res, $j) = create_workflow($t, $token);
	is($res->{status}, 201, 'a write before the fault') and push @acked, $j->{slug};

	# The data directory turns read-only for the pool (a read-only bind
	# mount over it); handles opened before stay as they are, so new
	# responders are what meets it, as after a restart or a recycle.
	my $dir = $t->dir . '/data';
	my ($rc, $out) = in_pool_ns($t, "mount --bind '$dir' '$dir' && mount -o remount,ro,bind '$dir'");
	is($rc, 0, 'the data directory is read-only inside the pool') or diag($out);
	renew_responders($t);

	my $h = $t->get('/health');
	is($h->{status}, 503, '/health answers 503 while the store is read-only');
	my $hj = $t->json($h) // {};
	is($hj->{database_state}, 'read-only', '/health says read-only') or diag($h->{content});
	like($hj->{detail} // '', qr/read-only/, 'with a detail that says so');
	ok($h->{headers}{'retry-after'}, '/health carries Retry-After');

	my (%statuses, $detail, $retry);
	for (1 .. 6) {
		my ($r) = create_workflow($t, $token);
		$statuses{ $r->{status} }++;
		$detail //= ($t->json($r) // {})->{detail} if $r->{status} == 503;
		$retry //= $r->{headers}{'retry-after'} if $r->{status} == 503;
	}
	is_deeply(\%statuses, { 503 => 6 }, 'every write while read-only gets a 503 (no 500)')
		or diag(explain \%statuses);
	ok($retry, 'with Retry-After');
	like($detail // '', qr/read-only/, 'with a detail that says read-only: ' . ($detail // ''));

	($rc, $out) = in_pool_ns($t, "mount -o remount,rw,bind '$dir'");
	is($rc, 0, 'the data directory is writable again') or diag($out);
	my $ok = wait_until(10, sub { $t->get('/health')->{status} == 200 });
	ok($ok, '/health is 200 again without a restart');
	my $recovered = 0;
	for (1 .. 6) {
		my ($r, $rj) = create_workflow($t, $token);
		next unless $r->{status} == 201;
		$recovered++;
		push @acked, $rj->{slug};
	}
	is($recovered, 6, 'every responder writes again without a restart');
	check_ledger($t, $token, \@acked);
	is($t->db_query('PRAGMA integrity_check'), 'ok', 'the database is sound');
};

subtest 'a full disk' => sub {
	my $t = PipelitTest->new;
	my $dir = $t->dir . '/data';
	make_path($dir);
	# The data directory is a 16 MB tmpfs, for the pool alone.
	ok($t->start(pool_in_namespace($t, "mount -t tmpfs -o size=16m,mode=0700 tmpfs '$dir'")),
		'the pool starts on a small file system of its own') or return diag($t->log_tail);
	my $bin = pipelit_bin();
	my ($rc, $out) = in_pool_ns($t, "'$bin' user create --username full-admin "
		. "--password secret-pass-1 --role admin");
	is($rc, 0, 'an admin is created on that file system') or return diag($out);
	my $token = PipelitAuth::login($t, 'full-admin', 'secret-pass-1') or return fail('login');
	my @acked;
	my ($res, $j) = create_workflow($t, $token);
	is($res->{status}, 201, 'a write before the disk fills') and push @acked, $j->{slug};

	($rc, $out) = in_pool_ns($t, "dd if=/dev/zero of='$dir/filler' bs=64k 2>&1; df -k '$dir'");
	like($out, qr/No space left/, 'the file system is full');

	# Writes of about 32 KB go on until the write-ahead log needs space
	# it cannot get.
	my (%statuses, $full);
	for (1 .. 300) {
		my ($r, $rj) = create_workflow($t, $token, 'x' x 32768);
		$statuses{ $r->{status} }++;
		push @acked, $rj->{slug} if $r->{status} == 201;
		$full //= $r if $r->{status} == 507;
		last if $statuses{507} && $statuses{507} >= 3;
	}
	ok($full, 'a write on the full disk is answered 507') or diag(explain \%statuses);
	ok(!$statuses{500}, 'never a 500') or diag(explain \%statuses);
	if ($full) {
		ok($full->{headers}{'retry-after'}, '507 carries Retry-After');
		like(($t->json($full) // {})->{detail} // '', qr/disk full/i, 'and says disk full');
	}

	# A backup that meets a full disk says so and leaves nothing behind.
	($rc, $out) = in_pool_ns($t, "mkdir -p /tmp/.pipelit-bk-$$ && mount -t tmpfs -o size=48k tmpfs "
		. "/tmp/.pipelit-bk-$$ && '$bin' db backup --dir /tmp/.pipelit-bk-$$; echo \"exit=\$?\"; "
		. "echo left:; ls -A /tmp/.pipelit-bk-$$");
	like($out, qr/exit=1/, 'a backup onto a full disk fails') or diag($out);
	like($out, qr/disk full/, 'with a message that says disk full') or diag($out);
	like($out, qr/left:\s*\z/, 'and leaves no file behind (no .part, no -journal)') or diag($out);

	($rc, $out) = in_pool_ns($t, "rm -f '$dir/filler'");
	is($rc, 0, 'space is freed') or diag($out);
	my $recovered = 0;
	for (1 .. 4) {
		my ($r, $rj) = create_workflow($t, $token);
		next unless $r->{status} == 201;
		$recovered++;
		push @acked, $rj->{slug};
	}
	is($recovered, 4, 'writes succeed again without a restart');
	check_ledger($t, $token, \@acked);
	($rc, $out) = in_pool_ns($t, "sqlite3 '$dir/db.sqlite3' 'PRAGMA integrity_check'");
	like($out, qr/^ok$/m, 'the database is sound') or diag($out);
};

done_testing();
