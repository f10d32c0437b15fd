# The FastCGI socket against hostile peers (security review, finding 17):
# malformed records (parameter lengths near 2^31 made libfcgi abort the
# responder) are refused without taking a responder down; crashes caused
# by requests never drive the crash-loop back-off into refusing service;
# and the TCP listener binds loopback unless a host is named.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitLedger;
use FastCGIClient;
use Time::HiRes qw(sleep);

need_nginx();

my $BEGIN = FastCGIClient::record(1, 1, pack('nCx5', 1, 0));
my %MALFORMED = (
	'parameter lengths near 2^31' => $BEGIN
		. FastCGIClient::record(4, 1, pack('N', 0xd6632016) . pack('N', 0xcf398f5d) . 'ab')
		. FastCGIClient::record(4, 1, ''),
	'a management record with many variables' => FastCGIClient::record(9, 0, "\x0e\x01FCGI_MAX_CONNS1" x 60),
	'a management record among the parameters' => $BEGIN
		. FastCGIClient::record(9, 0, "\x0e\x01FCGI_MAX_CONNS1" x 60) . FastCGIClient::record(4, 1, ''),
	'HTTP instead of FastCGI' => "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	'a truncated record' => $BEGIN . pack('CCnnCC', 1, 4, 1, 900, 0, 0) . 'abc',
);

sub listening_on {
	my ($port) = @_;
	my @addrs;
	for my $line (split /\n/, PipelitTest::slurp('/proc/net/tcp') . PipelitTest::slurp('/proc/net/tcp6')) {
		my ($local, $state) = (split ' ', $line)[1, 3];
		next unless defined $state && $state eq '0A';
		my ($hex, $p) = split /:/, $local;
		push @addrs, $hex if hex($p) == $port;
	}
	return @addrs;
}

sub test_malformed_stream {
	my ($t) = @_;
	my $ledger = PipelitLedger->start($t, writers => 2);
	my @before = $t->responder_pids;
	for my $round (1 .. 10) {
		for my $name (sort keys %MALFORMED) {
			FastCGIClient::send_raw($t->socket_path, $MALFORMED{$name});
		}
	}
	my @bad;
	for (1 .. 20) {
		my $res = $t->get('/health');
		push @bad, $res->{status} if $res->{status} != 200;
	}
	ok(!@bad, '50 malformed connections later, requests are answered') or diag("statuses: @bad");
	is_deeply([$t->responder_pids], \@before, 'no responder died of them');
	is(($t->json($t->get('/status')) // {})->{restarts}, 0, '/status counts no restart');
	like($t->log_text, qr/closed a FastCGI connection whose first records are not a request/,
		'the refusals are logged');
	$ledger->verify($t);
	is($ledger->failures, 0, 'every write meanwhile answered 2xx');
}

sub test_crashes_do_not_back_off {
	my ($t) = @_;
	for my $i (1 .. 6) {
		$t->post('/api/v1/_test/crash/', '');
		wait_until(10, sub { $t->get('/health')->{status} == 200 });
	}
	my @bad;
	for (1 .. 10) {
		my $res = $t->get('/health');
		push @bad, $res->{status} if $res->{status} != 200;
	}
	ok(!@bad, 'after six crashes caused by requests the pool answers at once') or diag("statuses: @bad");
	unlike($t->log_text, qr/crashing in a loop/, 'crashes on requests do not engage the crash-loop back-off');
	cmp_ok(($t->json($t->get('/status')) // {})->{restarts}, '>=', 6, 'they are counted as restarts');
}

sub test_tcp_bind {
	my ($db_url) = @_;
	for my $case (['a bare port', sub { $_[0] }, '0100007F'],
		      [':PORT', sub { ":$_[0]" }, '0100007F'],
		      ['an explicit 0.0.0.0', sub { "0.0.0.0:$_[0]" }, '00000000']) {
		my ($what, $spec, $want) = @$case;
		my $port = free_port();
		my $t = PipelitTest->new(db_url => $db_url, nginx => 0,
			env => { PIPELIT_SOCKET => $spec->($port) });
		$t->start_master(pipelit_bin(), 'serve', '--pid-file', $t->pid_file);
		ok(wait_until(30, sub { listening_on($port) }), "PIPELIT_SOCKET as $what: the pool listens")
			or diag($t->log_tail);
		is(join(',', listening_on($port)), $want, "... on " . ($want eq '00000000' ? 'every interface, as asked' : '127.0.0.1 only'));
		my $res = FastCGIClient::request("127.0.0.1:$port", { REQUEST_METHOD => 'GET', REQUEST_URI => '/health' });
		is($res && $res->{status}, 200, '... and answers there');
		is($t->stop, 0, '... and stops');
	}
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	test_malformed_stream($t);
	test_crashes_do_not_back_off($t);
	undef $t;
	test_tcp_bind($db_url) if $backend eq 'sqlite';
});

done_testing;
