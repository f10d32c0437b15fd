# The master dies (SIGKILL): its children notice at once, drop the
# listening socket, finish the request in hand and exit; a new `serve`
# starts on the same unix socket or TCP port whatever the old one left
# behind (PID file, socket file, children still finishing); no write that
# was acknowledged is lost.  Only responders hold the listening socket.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitLedger;
use FastCGIClient;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);

need_nginx();

sub socket_inodes {
	my ($pid) = @_;
	my %inodes;
	for my $fd (glob "/proc/$pid/fd/*") {
		my $target = readlink($fd) // next;
		$inodes{$1} = 1 if $target =~ /^socket:\[(\d+)\]$/;
	}
	return \%inodes;
}

sub alive { my ($pid) = @_; return kill(0, $pid) && PipelitTest::slurp("/proc/$pid/stat") !~ /^\d+ \(.*\) Z/s }

# A request that takes $ms, answered in a child process; its status lands
# in the returned file.
sub slow_request_in_background {
	my ($t, $ms, $send) = @_;
	my $result = $t->dir . '/slow.' . PipelitTest::random_name();
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my $status = $send->("/api/v1/_test/slow/?ms=$ms");
		open my $fh, '>', $result;
		print $fh "$status\n";
		close $fh;
		POSIX::_exit(0);
	}
	return ($pid, $result);
}

sub busy_pid {
	my ($t) = @_;
	my $s = $t->json($t->get('/status')) // return undef;
	my ($c) = grep { (($_->{current_request} // {})->{request} // '') =~ m{_test/slow} }
		@{ $s->{children} // [] };
	return $c ? $c->{pid} : undef;
}

sub kill_master {
	my ($t) = @_;
	my $pid = $t->master_pid;
	ok(kill('KILL', $pid), "SIGKILL to the master $pid");
	waitpid($pid, 0);
	$t->{exit_status} = 137;
}

sub test_unix_socket {
	my ($db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, name => 'a pool on a unix socket starts') or return;
	my @executors = $t->executor_pids;
	my @responders = $t->responder_pids;
	ok(@executors && @responders, 'it has responders and an executor');
	my $master_sockets = socket_inodes($t->master_pid);
	my @leaked = grep { $master_sockets->{$_} } keys %{ socket_inodes($executors[0]) };
	ok(!@leaked, 'the executor does not hold the listening socket');
	ok(grep({ $master_sockets->{$_} } keys %{ socket_inodes($responders[0]) }),
		'a responder holds the listening socket (the check can see it)');

	my $ledger = PipelitLedger->start($t, writers => 2);
	my ($client, $result) = slow_request_in_background($t, 4000,
		sub { HTTP::Tiny->new(timeout => 60)->get($t->url($_[0]))->{status} });
	my $busy = wait_until(20, sub { busy_pid($t) });
	ok($busy, "a responder ($busy) is in the slow request") or return;
	my @old = $t->child_pids;
	kill_master($t);
	ok(-e $t->pid_file && -S $t->socket_path, 'the PID file and the socket file are left behind');
	ok(wait_until(10, sub { !grep { $_ != $busy && alive($_) } @old }),
		'every child but the busy one exits at once');
	ok(alive($busy), 'the busy responder is still finishing its request');
	$t->start_master;
	ok($t->wait_ready(30), 'a new serve starts and answers while the old responder still finishes');
	ok(alive($busy), '(the old responder was still running then)');
	PipelitTest::wait_child($client, 60);
	chomp(my $status = PipelitTest::slurp($result));
	is($status, 200, 'the request in hand when the master died was answered 200');
	ok(wait_until(10, sub { !alive($busy) }), 'and then that responder exited');
	sleep 0.5;
	$ledger->verify($t);
	is($t->get('/health')->{status}, 200, 'the new pool serves');
	is($t->stop, 0, 'the new pool stops cleanly');
}

sub test_tcp_socket {
	my ($db_url) = @_;
	my $port = free_port();
	my $addr = "127.0.0.1:$port";
	my $t = PipelitTest->new(db_url => $db_url, nginx => 0);
	my @cmd = (pipelit_bin(), 'serve', '--socket', $addr, '--pid-file', $t->pid_file);
	my $get = sub {
		my $res = FastCGIClient::request($addr, { REQUEST_METHOD => 'GET', REQUEST_URI => $_[0],
			QUERY_STRING => ($_[0] =~ /\?(.*)$/)[0] // '' });
		return $res ? $res->{status} : 0;
	};
	my $ready = sub { wait_until(30, sub { $get->('/health') == 200 }) };
	$t->start_master(@cmd);
	ok($ready->(), "a pool on TCP $addr starts") or return diag($t->log_tail);
	my ($client, $result) = slow_request_in_background($t, 3000, $get);
	sleep 1;
	my @old = $t->child_pids;
	kill_master($t);
	$t->start_master(@cmd);
	ok($ready->(), 'a new serve binds the same TCP port while an old responder finishes') or diag($t->log_tail);
	PipelitTest::wait_child($client, 60);
	chomp(my $status = PipelitTest::slurp($result));
	is($status, 200, 'the request in hand when the master died was answered 200');
	ok(wait_until(10, sub { !grep { alive($_) } @old }), 'every child of the dead master has exited');
	is($t->stop, 0, 'the new pool stops cleanly');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	test_unix_socket($db_url);
	test_tcp_socket($db_url) if $backend eq 'sqlite';
});

done_testing;
