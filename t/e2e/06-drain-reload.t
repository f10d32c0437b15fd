# SIGTERM drains: while a request is in flight, new requests get a 503
# with Retry-After at once instead of waiting for the whole drain (and then
# a 502); the request in flight finishes 200; once the pool is gone nginx
# answers the same JSON 503.  SIGHUP under write load: zero failed
# requests, and every acknowledged write is in the database.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitLedger;
use Time::HiRes qw(sleep);

need_nginx();

sub test_sighup_under_load {
	my ($t) = @_;
	my $ledger = PipelitLedger->start($t, writers => 4);
	my $reads = $t->start_load(path => '/health');
	sleep 0.5;
	for my $round (1 .. 2) {
		my @before = $t->child_pids;
		ok(kill('HUP', $t->master_pid), "SIGHUP $round under load");
		ok(wait_until(60, sub {
			my %old = map { $_ => 1 } @before;
			my @now = $t->child_pids;
			@now == @before && !grep { $old{$_} } @now;
		}), 'every child was replaced');
	}
	sleep 0.5;
	my $count = $reads->finish;
	my @bad_reads = grep { $_ != 200 } keys %$count;
	ok(!@bad_reads, 'every read answered 200 (' . join(', ', map { "$_ x$count->{$_}" } sort keys %$count) . ')');
	$ledger->verify($t);
	is($ledger->failures, 0, 'every write answered 2xx across both reloads');
}

sub test_sigterm_drain {
	my ($t) = @_;
	my $ledger = PipelitLedger->start($t, writers => 2);
	my $result = $t->dir . '/slow.status';
	my $url = $t->url('/api/v1/_test/slow/?ms=4000');
	my $client = fork // die "fork: $!";
	if ($client == 0) {
		my $res = HTTP::Tiny->new(timeout => 60)->get($url);
		open my $fh, '>', $result;
		print $fh "$res->{status}\n";
		close $fh;
		POSIX::_exit(0);
	}
	ok(wait_until(20, sub {
		my $s = $t->json($t->get('/status')) // {};
		grep { (($_->{current_request} // {})->{request} // '') =~ m{_test/slow} } @{ $s->{children} // [] };
	}), 'the slow request is in flight');
	ok(kill('TERM', $t->master_pid), 'SIGTERM to the master');
	my $during = wait_until(10, sub { my $r = $t->get('/health'); $r->{status} == 503 ? $r : undef });
	ok($during, 'a new request during the drain is answered 503');
	ok(!-s $result, '... while the request in flight is still running');
	ok($during && $during->{headers}{'retry-after'}, '... with Retry-After');
	like($during ? $during->{content} : '', qr/"detail"/, '... and a JSON detail');
	is($t->wait_exit(60), 0, 'the master exits 0 after the drain');
	PipelitTest::wait_child($client, 60);
	chomp(my $status = PipelitTest::slurp($result));
	is($status, 200, 'the request in flight finished with 200');
	my $gone = $t->get('/health');
	is($gone->{status}, 503, 'with the pool gone nginx answers 503');
	ok($gone->{headers}{'retry-after'}, '... with Retry-After');
	like($gone->{content}, qr/"detail"/, '... in the JSON error shape');
	$ledger->finish;
	$ledger->verify($t);
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, responders => 3) or return;
	test_sighup_under_load($t);
	test_sigterm_drain($t);
});

done_testing;
