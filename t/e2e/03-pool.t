# The pool's supervision: a killed responder is replaced, responders are
# recycled after PIPELIT_MAX_REQUESTS, SIGHUP replaces children without
# dropping requests, SIGTERM drains an in-flight request.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use Time::HiRes qw(sleep);

need_nginx();

sub served_pid {
	my ($t) = @_;
	my $res = $t->get('/api/v1/_test/pid/');
	return $res->{status} == 200 ? ($t->json($res) // {})->{pid} : undef;
}

sub all_ok {
	my ($t, $n, $path) = @_;
	my @bad;
	for (1 .. $n) {
		my $res = $t->get($path);
		push @bad, $res->{status} if $res->{status} != 200;
	}
	return @bad;
}

sub statuses { my ($c) = @_; join ', ', map { "$_ x$c->{$_}" } sort keys %$c }

sub test_sigkill_under_load {
	my ($t) = @_;
	# A child just forked may not have taken its responder title yet.
	wait_until(10, sub { scalar($t->responder_pids) == 2 });
	my @before = $t->responder_pids;
	is(scalar @before, 2, 'two responders run') or diag("children: @before");
	my $victim = served_pid($t);
	ok($victim && grep({ $_ == $victim } @before), 'a responder served /_test/pid/') or return;
	my $load = $t->start_load(path => '/api/v1/_test/pid/');
	sleep 0.5;
	ok(kill('KILL', $victim), "SIGKILL responder $victim under load");
	my $replaced = wait_until(30, sub {
		my @now = $t->responder_pids;
		return !grep({ $_ == $victim } @now) && @now == @before;
	});
	ok($replaced, 'the killed responder is replaced by a new one');
	sleep 0.5;
	my $count = $load->finish;
	ok(($count->{200} // 0) > 0, 'the load kept being served (' . statuses($count) . ')');
	my @bad = all_ok($t, 20, '/api/v1/_test/pid/');
	ok(!@bad, '20 later requests all succeed') or diag("statuses: @bad");
}

sub test_crash_route {
	my ($t) = @_;
	my @before = $t->responder_pids;
	my $res = $t->post('/api/v1/_test/crash/', '');
	isnt($res->{status}, 200, 'the crash route does not answer 200');
	ok(wait_until(30, sub { my @now = $t->responder_pids; @now == @before && "@now" ne "@before" }),
		'the aborted responder is replaced');
	my @bad = all_ok($t, 10, '/health');
	ok(!@bad, 'requests succeed after the crash') or diag("statuses: @bad");
}

sub test_sighup {
	my ($t) = @_;
	my @before = $t->child_pids;
	my $load = $t->start_load(path => '/health');
	sleep 0.3;
	ok(kill('HUP', $t->master_pid), 'SIGHUP to the master');
	my $renewed = wait_until(60, sub {
		my %old = map { $_ => 1 } @before;
		my @now = $t->child_pids;
		return @now == @before && !grep { $old{$_} } @now;
	});
	ok($renewed, 'every child was replaced') or diag("before: @before, now: " . join ' ', $t->child_pids);
	sleep 0.3;
	my $count = $load->finish;
	my $bad = grep { $_ != 200 } keys %$count;
	ok(($count->{200} // 0) > 0 && !$bad, 'requests kept succeeding during SIGHUP (' . statuses($count) . ')');
	ok(kill(0, $t->master_pid), 'the master is still the same process');
}

sub test_sigterm_drains {
	my ($t) = @_;
	my $result = $t->dir . '/slow.status';
	my $url = $t->url('/api/v1/_test/slow/?ms=1500');
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my $res = HTTP::Tiny->new(timeout => 60)->get($url);
		open my $fh, '>', $result;
		print $fh "$res->{status}\n";
		close $fh;
		POSIX::_exit(0);
	}
	# Give the request time to reach a responder before the signal.
	sleep 0.6;
	kill 'TERM', $t->master_pid;
	is($t->wait_exit(60), 0, 'after SIGTERM the master exits 0');
	PipelitTest::wait_child($pid, 60);
	chomp(my $status = PipelitTest::slurp($result));
	is($status, 200, 'the in-flight slow request finished with 200');
	ok(!-e $t->pid_file, 'the pid file is removed');
	ok(!-e $t->socket_path, 'the socket is removed');
	my $gone = $t->get('/health');
	is($gone->{status}, 503, 'nginx answers 503 once the pool is gone');
	ok($gone->{headers}{'retry-after'}, 'with Retry-After');
	like($gone->{content}, qr/"detail"/, 'in the API\'s JSON error shape');
}

sub test_max_requests {
	my ($db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => { PIPELIT_MAX_REQUESTS => 5 },
		name => 'a pool with PIPELIT_MAX_REQUESTS=5 starts') or return;
	my @before = $t->responder_pids;
	my (%seen, @bad);
	for (1 .. 20) {
		my $res = $t->get('/api/v1/_test/pid/');
		if ($res->{status} == 200) { $seen{ ($t->json($res) // {})->{pid} // 0 }++ }
		else { push @bad, $res->{status} }
	}
	ok(!@bad, '20 requests all succeed while responders recycle') or diag("statuses: @bad");
	ok(!grep({ $_ > 5 } values %seen), 'no responder served more than 5 requests')
		or diag(join ', ', map { "$_: $seen{$_}" } keys %seen);
	cmp_ok(scalar keys %seen, '>=', 4, 'at least 4 responder processes served them');
	ok(wait_until(20, sub { my @now = $t->responder_pids; @now == @before && "@now" ne "@before" }),
		'the responder pids have changed');
	is($t->stop, 0, 'the pool stops');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	test_sigkill_under_load($t);
	test_crash_route($t);
	test_sighup($t);
	test_sigterm_drains($t);
	undef $t;
	test_max_requests($db_url);
});

done_testing;
