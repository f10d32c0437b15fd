# Start-up refusals (a bad DATABASE_URL, an invalid setting) and the
# shared-hosting mode: `pipelit fcgi` under spawn-fcgi behind nginx.
use strict;
use warnings;
use Test::More;
use PipelitTest;

need_nginx();

# Starts `pipelit serve` without nginx and expects it to give up.
sub refuses {
	my ($name, %o) = @_;
	my $t = PipelitTest->new(nginx => 0, %o);
	$t->start_master;
	my $status = $t->wait_exit(90);
	ok(defined $status && $status != 0, "$name: pipelit serve exits non-zero")
		or diag(defined $status ? "exit $status" : 'still running after 90 s');
	return $t->log_text;
}

subtest 'a bad DATABASE_URL' => sub {
	my $log = refuses('mysql://', db_url => 'mysql://user:pw@127.0.0.1/pipelit');
	like($log, qr/DATABASE_URL|mysql/i, 'the message names DATABASE_URL or the scheme') or diag($log);
	like($log, qr/sqlite|postgres|support/i, 'and says what is supported') or diag($log);

	my $port = free_port();
	$log = refuses('an unreachable postgresql://', db_url => "postgresql://user:pw\@127.0.0.1:$port/pipelit");
	like($log, qr/connect|refused|reach/i, 'the message says the server cannot be reached') or diag($log);
	unlike($log, qr/:pw\@/, 'the message does not show the password') or diag($log);
};

sub test_invalid_settings {
	my ($db_url) = @_;
	for my $case ([PIPELIT_RESPONDERS => 'abc'], [PIPELIT_MAX_REQUESTS => '-3'], [LOG_LEVEL => 'loud']) {
		my ($var, $value) = @$case;
		my $log = refuses("$var=$value", db_url => $db_url, env => { $var => $value });
		like($log, qr/\Q$var\E/, "the message names $var") or diag($log);
	}
}

sub test_spawn_fcgi {
	my ($db_url) = @_;
	SKIP: {
		my $spawn = (grep { -x "$_/spawn-fcgi" } split /:/, $ENV{PATH})[0];
		skip 'spawn-fcgi is not installed (apt-get install spawn-fcgi)', 4 unless $spawn;
		my $t = PipelitTest->new(db_url => $db_url);
		my ($rc, $out) = $t->pipelit('db', 'upgrade');
		is($rc, 0, 'db upgrade before the fcgi responder starts') or diag($out);
		ok($t->start("$spawn/spawn-fcgi", '-s', $t->socket_path, '-n', '--', pipelit_bin(), 'fcgi'),
			'pipelit fcgi under spawn-fcgi answers /health through nginx') or diag($t->log_tail);
		my $res = $t->get('/health');
		is(($t->json($res) // {})->{status}, 'ok', '/health says ok') or diag($res->{content});
		is($t->get('/api/v1/nope')->{status}, 404, 'an unknown API path is a 404');
	}
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	test_invalid_settings($db_url);
	test_spawn_fcgi($db_url);
});

done_testing;
