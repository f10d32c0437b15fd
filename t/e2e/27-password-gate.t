# The password gate: Argon2id runs at most PIPELIT_PASSWORD_CHECKS at once
# on a host, so a burst of logins cannot occupy every responder.  Logins
# beyond that get a prompt 503 with Retry-After, and other requests keep
# being served while the burst lasts.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use PipelitTest;
use PipelitAuth;

need_nginx();

my $CLIENTS = 6;
my $LOGINS_EACH = 6;

sub login_burst {
	my ($t) = @_;
	my $dir = $t->dir;
	my $go = time + 1.0;
	my @rc = run_in_children($CLIENTS, sub {
		my ($i) = @_;
		my $http = HTTP::Tiny->new(timeout => 60);
		sleep($go - time) if $go > time;
		open my $out, '>', "$dir/burst.$i" or return 2;
		for (1 .. $LOGINS_EACH) {
			my $r = $http->post($t->url('/api/v1/auth/token/'), {
				headers => { 'Content-Type' => 'application/json' },
				content => JSON::PP::encode_json({ username => 'gate', password => 'gate-password' }) });
			printf $out "%d\t%s\t%s\n", $r->{status}, $r->{headers}{'retry-after'} // '',
				$r->{content} =~ s/\s+/ /gr;
		}
		close $out;
		return 0;
	}, 120);
	# Runs in a child of the test: it reports, the test process asserts.
	my @failed = grep { $_ != 0 } @rc;
	return (scalar(@failed), map { split /\n/, PipelitTest::slurp("$dir/burst.$_") } 0 .. $CLIENTS - 1);
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, responders => 4,
		env => { PIPELIT_PASSWORD_CHECKS => 1 }) or return;
	ok(make_user($t, 'gate', 'gate-password', 'normal'), 'a user to log in as');

	# /health from this process while the burst runs in the children.
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my ($failed, @answers) = login_burst($t);
		open my $fh, '>', $t->dir . '/answers' or POSIX::_exit(1);
		print $fh "clients failed: $failed\n", join("\n", @answers), "\n";
		close $fh;
		POSIX::_exit(0);
	}
	my ($health_ok, $health_all, $slowest) = (0, 0, 0);
	while (!waitpid($pid, POSIX::WNOHANG())) {
		my $t0 = time;
		my $res = $t->get('/health');
		my $took = time - $t0;
		$slowest = $took if $took > $slowest;
		$health_all++;
		$health_ok++ if $res->{status} == 200;
		sleep 0.02;
	}
	is($?, 0, 'the burst finished');
	my ($summary, @answers) = grep { /\S/ } split /\n/, PipelitTest::slurp($t->dir . '/answers');
	is($summary, 'clients failed: 0', "$CLIENTS login clients ran to the end");
	is(scalar @answers, $CLIENTS * $LOGINS_EACH, 'every login was answered');
	my @ok = grep { /^200\t/ } @answers;
	my @busy = grep { /^503\t/ } @answers;
	is(@ok + @busy, scalar @answers, 'every login answer is 200 or 503')
		or diag(join "\n", grep { !/^(?:200|503)\t/ } @answers);
	ok(@ok >= 1, 'logins succeed during the burst (' . scalar(@ok) . ' of ' . scalar(@answers) . ')');
	ok(@busy >= 1, 'logins beyond the one password slot are turned away (' . scalar(@busy) . ')');
	is(scalar(grep { (split /\t/)[1] ne '1' } @busy), 0, 'every 503 carries Retry-After: 1');
	is(scalar(grep { !/"detail":"Too many password checks in progress; retry in a moment"/ } @busy), 0,
		'every 503 says to retry');
	ok($health_all >= 5, "/health was asked during the burst ($health_all times)");
	is($health_ok, $health_all, '/health answered 200 every time during the burst');
	diag(sprintf 'slowest /health during the burst: %.0f ms', $slowest * 1000);

	# The slot is free again afterwards.
	ok(login($t, 'gate', 'gate-password'), 'a login after the burst succeeds');
	$t->stop;
});

done_testing();
