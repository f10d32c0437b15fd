# Nodes that wait on I/O (doc/engine.md, "Nodes that wait on I/O"), with the
# test-only kind test_http (one GET on the executor's event loop) against a
# slow HTTP server on 127.0.0.1:
#  - forty executions each waiting on an answer held back until all forty
#    requests are open: one executor keeps them in flight together, and all
#    complete;
#  - a node that waits longer than its lease keeps it (renewed) and runs
#    once;
#  - cancelling an execution while its node waits closes the connection at
#    once (the server sees it closed long before it would have answered);
#  - an executor killed while its node waits: another runs it again as its
#    second attempt and the execution completes;
#  - an address the outbound policy does not allow fails the node with a
#    readable message.
# Both backends.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use File::Temp qw(tempfile);
use Fcntl qw(:flock SEEK_SET);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

my $LEASE = 2;

# A server that answers GET /delay/S after S seconds and never answers
# /hang; it logs "open", "answered" and "closed by client" lines per
# connection, and keeps the highest number of connections open at once.
package SlowServer {
	sub start {
		my ($class) = @_;
		my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 128,
			ReuseAddr => 1) or die "listen: $!";
		my (undef, $log) = File::Temp::tempfile('slow-server-XXXXXX', TMPDIR => 1, UNLINK => 1);
		my (undef, $gauge) = File::Temp::tempfile('slow-gauge-XXXXXX', TMPDIR => 1, UNLINK => 1);
		my $port = $l->sockport;
		my $pid = fork // die;
		if ($pid == 0) {
			setpgrp(0, 0);
			$SIG{CHLD} = sub { 1 while waitpid(-1, POSIX::WNOHANG()) > 0 };
			while (1) {
				my $c = $l->accept or next;
				my $kid = fork;
				if (defined $kid && $kid == 0) { serve($c, $log, $gauge); POSIX::_exit(0) }
				close $c;
			}
		}
		close $l;
		return bless { pid => $pid, port => $port, log => $log, gauge => $gauge }, $class;
	}
	sub gauge {
		my ($file, $d) = @_;
		open my $fh, '+<', $file or return;
		flock $fh, Fcntl::LOCK_EX();
		my $line = <$fh> // '0 0';
		my ($now, $max) = split / /, $line;
		$now = ($now // 0) + $d;
		$max = $now if $now > ($max // 0);
		seek $fh, 0, Fcntl::SEEK_SET();
		truncate $fh, 0;
		print $fh "$now $max";
		close $fh;
	}
	sub note_line {
		my ($file, $text) = @_;
		open my $fh, '>>', $file or return;
		flock $fh, Fcntl::LOCK_EX();
		print $fh "$text\n";
		close $fh;
	}
	sub serve {
		my ($c, $log, $gauge) = @_;
		my $req = '';
		while ($req !~ /\r\n\r\n/) { my $n = sysread($c, $req, 4096, length $req); last unless $n }
		my ($path) = $req =~ m{^GET (\S+)};
		$path //= '?';
		gauge($gauge, 1);
		note_line($log, "open $path");
		my $wait = $path =~ m{^/delay/([\d.]+)} ? $1 : $path =~ m{^/(hang|gated)} ? 3600 : 0;
		my $gated = $path eq '/gated';
		my $sel = IO::Select->new($c);
		# Waiting, but watching the socket: a client that goes away is seen.
		my $until = Time::HiRes::time() + $wait;
		while ((my $left = $until - Time::HiRes::time()) > 0) {
			last if $gated && -e "$gauge.open";
			if ($sel->can_read($gated ? 0.05 : $left)) {
				my $n = sysread($c, my $buf, 1);
				if (!$n) { note_line($log, "closed by client $path"); gauge($gauge, -1); return }
			}
		}
		my $body = "slept $wait";
		syswrite $c, "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
		note_line($log, "answered $path");
		gauge($gauge, -1);
		close $c;
	}
	sub lines { my ($s) = @_; open my $fh, '<', $s->{log} or return (); my @l = <$fh>; chomp @l; @l }
	sub open_gate { my ($s) = @_; open my $fh, '>', "$s->{gauge}.open"; close $fh }
	sub max_open { my ($s) = @_; open my $fh, '<', $s->{gauge} or return 0; my $l = <$fh> // '0 0'; (split / /, $l)[1] // 0 }
	sub url { "http://127.0.0.1:$_[0]{port}$_[1]" }
	sub DESTROY { my ($s) = @_; kill 'KILL', -$s->{pid} if $s->{pid}; waitpid($s->{pid}, 0) if $s->{pid} }
}

sub http_workflow {
	my ($t, $tok, $slug, $url) = @_;
	build_workflow($t, $tok, $slug, [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'get', component_type => 'reply_chat', config => { extra_config => { url => $url } } },
		{ node_id => 'after', component_type => 'reply_chat', config => { extra_config => { message => 'done' } } }],
		[['start', 'get'], ['get', 'after']]) or return 0;
	$t->db_query("UPDATE workflow_nodes SET component_type = 'test_http' WHERE node_id = 'get' "
		. "AND workflow_id = (SELECT id FROM workflows WHERE slug = '$slug')");
	return 1;
}

sub output_of {
	my ($t, $id, $node) = @_;
	my $state = $t->db_query("SELECT state FROM workflow_executions WHERE execution_id = '$id'") // '{}';
	my $j = eval { JSON::PP::decode_json($state) } // {};
	return $j->{node_outputs}{$node};
}

sub test_many_in_flight {
	my ($t, $tok, $srv) = @_;
	# The server holds every answer until all forty requests are open:
	# an executor that ran its waiting nodes one after the other would
	# never get there.
	http_workflow($t, $tok, 'many', $srv->url('/gated')) or return;
	my @ids = map { run_workflow($t, 'many') } 1 .. 40;
	is(scalar(grep { defined } @ids), 40, 'forty executions started') or return;
	ok(PipelitTest::wait_until(120, sub { $srv->max_open >= 40 }),
		'the server has all forty requests open at once (one executor)') or diag('at most ' . $srv->max_open);
	$srv->open_gate;
	my @done = grep { wait_execution($t, $_, 120)->{status} eq 'completed' } @ids;
	is(scalar @done, 40, 'all forty complete') or diag($t->log_tail);
	my $out = output_of($t, $ids[0], 'get');
	is($out->{status}, 200, 'the node saw the answer') and is($out->{body}, 'slept 3600', 'with its body');
	is_deeply(log_rows($t, $ids[-1]), ['get|completed|1', 'after|completed|1'], 'each node ran once');
}

sub test_lease_renewed {
	my ($t, $tok, $srv) = @_;
	my $wait = $LEASE * 3;
	http_workflow($t, $tok, 'long', $srv->url("/delay/$wait")) or return;
	my $id = run_workflow($t, 'long') or return;
	my $row = wait_execution($t, $id, 120);
	is($row->{status}, 'completed', "a node waiting ${wait}s with a ${LEASE}s lease completes") or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['get|completed|1', 'after|completed|1'],
		'it ran once: its lease was renewed while it waited, nobody took it over');
	is(scalar(grep { $_ eq "open /delay/$wait" } $srv->lines), 1, 'the server was asked once');
}

sub test_cancel_aborts {
	my ($t, $tok, $srv) = @_;
	http_workflow($t, $tok, 'hang', $srv->url('/hang')) or return;
	my $id = run_workflow($t, 'hang') or return;
	ok(PipelitTest::wait_until(30, sub { grep { $_ eq 'open /hang' } $srv->lines }), 'the request is in flight')
		or return;
	my ($res) = api($t, $tok, 'POST', "executions/$id/cancel/");
	is($res->{status}, 200, 'cancel answers 200') or diag($res->{content});
	ok(PipelitTest::wait_until(30, sub { grep { $_ eq 'closed by client /hang' } $srv->lines }),
		'the executor closed the connection (the server would have waited an hour)');
	is(execution_row($t, $id)->{status}, 'cancelled', 'the execution is cancelled');
	is_deeply(log_rows($t, $id), [], 'the node left no log row');
}

sub test_executor_killed {
	my ($t, $tok, $srv) = @_;
	http_workflow($t, $tok, 'killed', $srv->url('/delay/4')) or return;
	my $id = run_workflow($t, 'killed') or return;
	ok(PipelitTest::wait_until(30, sub { grep { $_ eq 'open /delay/4' } $srv->lines }), 'the request is in flight')
		or return;
	kill 'KILL', $_ for $t->executor_pids;
	my $row = wait_execution($t, $id, 120);
	is($row->{status}, 'completed', 'the execution completes after its executor was killed mid-wait')
		or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['get|completed|2', 'after|completed|1'],
		'the waiting node ran again as attempt 2, and was logged once');
}

sub test_refused {
	my ($t, $tok, $srv) = @_;
	http_workflow($t, $tok, 'refused', "http://127.0.0.2:$srv->{port}/delay/0") or return;
	my $id = run_workflow($t, 'refused') or return;
	my $row = wait_execution($t, $id, 60);
	is($row->{status}, 'failed', 'a request to an address outside the allowlist fails the execution');
	my $err = $t->db_query("SELECT error FROM execution_logs WHERE execution_id = '$id' AND node_id = 'get' "
		. "ORDER BY id DESC LIMIT 1") // '';
	like($err, qr/outbound policy|not allowed|refused/i, "with a readable message ($err)");
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $srv = SlowServer->start;
	my $t = PipelitTest->started(db_url => $db_url,
		env => { ZOMBIE_EXECUTION_THRESHOLD_SECONDS => $LEASE, PIPELIT_OUTBOUND_ALLOW => '127.0.0.1',
			 PIPELIT_EXECUTORS => 1 }) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest many_in_flight => sub { test_many_in_flight($t, $alice, $srv) };
	subtest lease_renewed => sub { test_lease_renewed($t, $alice, $srv) };
	subtest cancel_aborts => sub { test_cancel_aborts($t, $alice, $srv) };
	subtest executor_killed => sub { test_executor_killed($t, $alice, $srv) };
	subtest refused => sub { test_refused($t, $alice, $srv) };
});

done_testing();
